// Upgrade in place (issue 17): operators replace the binaries under live containers. Attachments
// the previous build added (main before the firewall backend interface, commit 5a3d300) must pass
// CHECK, DEL and GC with this build, and this build's ADDs must coexist with them; traffic is
// checked between the steps. The previous build is made from `git archive` of that commit in
// beforeAll (minutes on a loaded machine), or taken from TSCNI_PREVIOUS_BIN_DIR when set.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/bins';
import { leakedNetns } from '../../helpers/netns';
import { startTcpServer, tcpRequest, type Server } from '../../helpers/traffic';
import { HOST_UPLINK, Lab, OUTSIDE_ADDR, type Attach, type Net } from './conflist';

const PREVIOUS = '5a3d300';
const GATEWAY = '10.65.0.1';
const BUILD_TIMEOUT_MS = 900_000;
let previousBin = process.env.TSCNI_PREVIOUS_BIN_DIR ?? '';
let buildDir: string | undefined;

/** Runs a command without blocking the event loop (vitest's worker must keep answering). */
function runAsync(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function buildPrevious(): Promise<string> {
  buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-previous-'));
  const tar = spawnSync('git', ['-C', repoRoot, 'archive', '--format=tar', PREVIOUS], { maxBuffer: 256 << 20 });
  if (tar.status !== 0) throw new Error(`git archive ${PREVIOUS}: ${tar.stderr}`);
  const x = spawnSync('tar', ['-x', '-C', buildDir], { input: tar.stdout });
  if (x.status !== 0) throw new Error(`tar: ${x.stderr}`);
  // Our node_modules, plus what the previous build depended on and this one dropped (ipaddr.js),
  // fetched with `npm pack` (its old lock file is not one `npm ci` accepts any more).
  const mods = path.join(buildDir, 'node_modules');
  fs.mkdirSync(mods);
  for (const e of fs.readdirSync(path.join(repoRoot, 'node_modules'))) fs.symlinkSync(path.join(repoRoot, 'node_modules', e), path.join(mods, e));
  const wanted = JSON.parse(fs.readFileSync(path.join(buildDir, 'package.json'), 'utf8')).dependencies as Record<string, string>;
  for (const [name, range] of Object.entries(wanted)) {
    if (fs.existsSync(path.join(mods, name))) continue;
    const pack = await runAsync('npm', ['pack', `${name}@${range}`, '--silent', '--pack-destination', buildDir], buildDir);
    const tgz = pack.out.trim().split('\n').at(-1) ?? '';
    if (pack.code !== 0 || !tgz) throw new Error(`npm pack ${name}@${range} for ${PREVIOUS} failed: ${pack.out}`);
    fs.mkdirSync(path.join(mods, name), { recursive: true });
    const x2 = spawnSync('tar', ['-xzf', path.join(buildDir, tgz), '-C', path.join(mods, name), '--strip-components=1']);
    if (x2.status !== 0) throw new Error(`tar ${tgz}: ${x2.stderr}`);
  }
  const b = await runAsync(process.execPath, ['scripts/build.mjs'], buildDir);
  if (b.code !== 0) throw new Error(`building ${PREVIOUS} failed: ${b.out}`);
  return path.join(buildDir, 'dist', 'bin');
}

beforeAll(async () => {
  if (!previousBin) previousBin = await buildPrevious();
}, BUILD_TIMEOUT_MS + 60_000);
afterAll(() => {
  if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
});

describe.each(['nftables', 'iptables'] as const)('upgrade in place (%s)', (backend) => {
  let lab: Lab;
  const tag = backend.slice(0, 3);
  const net: Net = { name: `townU-${tag}`, bridge: `townU${tag}`, subnet: '10.65.0.0/24', only: '10.65.0.10', last: '10.65.0.20' };
  const servers: Server[] = [];
  const old = <T>(fn: () => T): T => {
    lab.binDir = previousBin;
    try {
      return fn();
    } finally {
      lab.binDir = undefined;
    }
  };
  const ports = (p: number): unknown[] => [{ hostPort: p, containerPort: 80, protocol: 'tcp' }];
  /** The container behind a host port answers with the outside's address; its way out is masqueraded. */
  const serves = (a: Attach, port: number): void => {
    expect(tcpRequest(lab.outside, HOST_UPLINK, port)).toBe(OUTSIDE_ADDR);
    expect(tcpRequest(a.ns, OUTSIDE_ADDR, 9465)).toBe(HOST_UPLINK);
  };

  beforeAll(async () => {
    lab = new Lab(backend);
    servers.push(await startTcpServer(lab.outside, '0.0.0.0', 9465));
  });
  afterAll(() => {
    for (const s of servers) s.stop();
    lab?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('town'))).toEqual([]);
  });

  it('previous build ADDs; this build CHECKs, ADDs next to it, DELs and GCs it', async () => {
    const x: Attach = { id: 'old-x', ns: lab.ctr(), ifname: 'eth0' };
    const z: Attach = { id: 'old-z', ns: lab.ctr(), ifname: 'eth0' };
    const y: Attach = { id: 'new-y', ns: lab.ctr(), ifname: 'eth0' };
    for (const a of [x, y, z]) servers.push(await startTcpServer(a.ns, '0.0.0.0', 80));
    old(() => lab.add(net, x, ports(8463)));
    old(() => lab.add(net, z, ports(8465)));
    serves(x, 8463);
    serves(z, 8465);

    for (const r of lab.check(net, x, ports(8463))) expect(r.code, r.stdout).toBe(0);
    // previous build's localhost / same-subnet masquerade before this build rebuilds the rules
    expect(tcpRequest(lab.host, '127.0.0.1', 8463)).toBe(GATEWAY);
    lab.add(net, y, ports(8464));
    serves(y, 8464);
    serves(x, 8463);
    // Connections from 127.0.0.1 and from the same subnet are masqueraded for the previous build's
    // attachment too (with nftables its keys stay in the layout 1 interval sets, whose rule stays).
    expect(tcpRequest(lab.host, '127.0.0.1', 8463)).toBe(GATEWAY);
    expect(tcpRequest(lab.host, '127.0.0.1', 8464)).toBe(GATEWAY);
    expect(tcpRequest(y.ns, HOST_UPLINK, 8463)).toBe(GATEWAY);
    expect(tcpRequest(x.ns, HOST_UPLINK, 8464)).toBe(GATEWAY);
    for (const r of lab.check(net, y, ports(8464))) expect(r.code, r.stdout).toBe(0);
    // a port the previous build published is still taken for another container
    const taken: Attach = { id: 'new-w', ns: lab.ctr(), ifname: 'eth0' };
    expect(() => lab.add(net, taken, ports(8463))).toThrow(/112|already published/);
    lab.del(net, taken, ports(8463), false);
    serves(x, 8463);

    lab.del(net, x, ports(8463));
    expect(() => tcpRequest(lab.outside, HOST_UPLINK, 8463)).toThrow();
    serves(y, 8464);
    serves(z, 8465);

    lab.gc(net, [{ containerID: y.id, ifname: 'eth0' }]);
    expect(() => tcpRequest(lab.outside, HOST_UPLINK, 8465)).toThrow();
    serves(y, 8464);

    lab.del(net, y, ports(8464));
    lab.del(net, z, ports(8465));
    expect(lab.firewallState()).toEqual([]);
    for (const a of [x, y, z, taken]) lab.dropNetns(a.ns);
  });
});
