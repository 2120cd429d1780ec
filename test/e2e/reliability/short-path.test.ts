// Runtimes start plugins with a short PATH (containerd and podman: often /usr/bin:/bin) while
// nft, iptables-restore, conntrack and dnsmasq live in /usr/sbin. cnitool runs a conflist of
// bridge (masquerade) + portmap (a UDP mapping) + dnsname with PATH=/usr/bin:/bin, on each
// firewall backend, and each tool must have been found and used: rules present, a planted UDP
// conntrack entry for the mapped port cleared, dnsmasq serving.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';

const SHORT_PATH = '/usr/bin:/bin';
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => fs.existsSync(p))!;

let root: string;
let host: string;
beforeAll(() => {
  // The premise: none of the tools is on the short PATH, so only the plugins' own lookup finds them.
  for (const tool of ['nft', 'iptables-restore', 'conntrack', 'dnsmasq']) {
    expect(spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: SHORT_PATH } }).status, `${tool} is on ${SHORT_PATH}`).not.toBe(0);
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-'));
  fs.chmodSync(root, 0o755); // dnsmasq drops privileges and must still read its hosts file
  host = createNetns('tsp-host');
  sh(['ip', '-n', host, 'link', 'set', 'lo', 'up']);
});
afterAll(() => {
  for (const pid of dnsmasqPids()) process.kill(pid, 'SIGKILL');
  deleteAllNetns();
  fs.rmSync(root, { recursive: true, force: true });
  expect(leakedNetns()).toEqual([]);
});

function dnsmasqPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return cmd.includes('dnsmasq') && cmd.includes(root);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function cnitool(verb: string, net: string, ns: string): { code: number; out: string; stdout: string } {
  const env = {
    PATH: SHORT_PATH,
    NETCONFPATH: path.join(root, 'net.d'),
    CNI_PATH: binDir,
    CNI_CACHE_DIR: path.join(root, 'cache'),
    CAP_ARGS: JSON.stringify({ portMappings: [{ hostPort: 5360, containerPort: 53, protocol: 'udp' }] }),
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
  };
  const r = spawnSync(IP, ['netns', 'exec', host, bin('cnitool'), verb, net, netnsPath(ns)], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout ?? '' };
}

describe.each([
  ['nftables', 10],
  ['iptables', 11],
] as const)('plugins started with PATH=/usr/bin:/bin (%s backend)', (backend, n) => {
  const net = `tsp${backend.slice(0, 3)}`;
  it('bridge masquerades, portmap maps and clears the stale UDP flow, dnsname starts dnsmasq', () => {
    fs.mkdirSync(path.join(root, 'net.d'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'net.d', `${net}.conflist`),
      JSON.stringify({
        cniVersion: '1.1.0',
        name: net,
        plugins: [
          { type: 'bridge', bridge: `tsp${n}`, isGateway: true, ipMasq: true, ipMasqBackend: backend, ipam: { type: 'host-local', subnet: `10.${n}.7.0/24`, dataDir: path.join(root, 'ipam') } },
          { type: 'portmap', backend, capabilities: { portMappings: true } },
          { type: 'dnsname', domainName: 'tsp.test', stateDir: path.join(root, 'dns'), upstreamServers: ['127.0.0.1'] },
        ],
      }),
    );
    const ctr = createNetns('tsp-ctr');
    // A UDP flow to the host port from before the mapping: portmap ADD must run conntrack -D.
    inNetns(host, ['conntrack', '-I', '-p', 'udp', '-s', '198.51.100.9', '-d', '198.51.100.1', '--sport', '40000', '--dport', '5360', '-r', '198.51.100.1', '-q', '198.51.100.9', '--reply-port-src', '5360', '--reply-port-dst', '40000', '-t', '120']);
    const flows = (): string => inNetns(host, ['conntrack', '-L', '-p', 'udp', '--orig-port-dst', '5360'], { allowFail: true });
    expect(flows()).toContain('sport=40000');

    const add = cnitool('add', net, ctr);
    expect(add.code, add.out).toBe(0);
    const ip = JSON.parse(add.stdout).ips[0].address.split('/')[0];
    // nft / iptables-restore: the masquerade and the port mapping are in the kernel
    const rules = backend === 'nftables' ? inNetns(host, ['nft', 'list', 'ruleset']) : inNetns(host, ['iptables-save', '-t', 'nat']);
    expect(rules).toContain(ip);
    expect(rules).toMatch(/5360/);
    // conntrack: the planted flow is gone
    expect(flows()).not.toContain('sport=40000');
    // dnsmasq: running for this network, from its state dir
    const pid = Number(fs.readFileSync(path.join(root, 'dns', net, 'dnsmasq.pid'), 'utf8'));
    expect(dnsmasqPids()).toContain(pid);

    const del = cnitool('del', net, ctr);
    expect(del.code, del.out).toBe(0);
    const after = backend === 'nftables' ? inNetns(host, ['nft', 'list', 'ruleset']) : inNetns(host, ['iptables-save', '-t', 'nat']);
    expect(after).not.toContain(ip);
  });
});
