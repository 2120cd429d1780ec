// A private world for `cnitool network create/rm/prune`: a throwaway "host" netns, NETCONFPATH,
// cache and -o data_dir under one temp dir, our own plugins on CNI_PATH (the networks it writes
// chain firewall, tuning and dnsname), and readers for the host state a network leaves behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, inNetns, netnsPath } from '../../helpers/netns';
import type { CliRun } from './harness-env';

// Asks one A question over UDP from inside a netns; prints the addresses as a JSON list.
const RESOLVE_A = `
const dgram = require('dgram');
const [server, name] = [process.argv[1], process.argv[2]];
const id = 4242;
const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
  ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, 1, 0, 1])]);
const sock = dgram.createSocket('udp4');
let tries = 0;
const send = () => { if (tries++ === 5) { console.log('[]'); process.exit(0); } sock.send(q, 53, server); setTimeout(send, 500); };
sock.on('message', (b) => {
  if (b.readUInt16BE(0) !== id) return;
  let p = 12; while (b[p] !== 0) p += b[p] + 1; p += 5;
  const out = [];
  for (let i = 0; i < b.readUInt16BE(6); i++) {
    p += (b[p] & 0xc0) === 0xc0 ? 2 : (() => { let q2 = p; while (b[q2] !== 0) q2 += b[q2] + 1; return q2 + 1 - p; })();
    const t = b.readUInt16BE(p), len = b.readUInt16BE(p + 8);
    if (t === 1) out.push([...b.subarray(p + 10, p + 14)].join('.'));
    p += 10 + len;
  }
  console.log(JSON.stringify(out)); process.exit(0);
});
send();
`;

export class NetLab {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'tnc-e2e-'));
  readonly netconf = path.join(this.root, 'net.d');
  readonly cache = path.join(this.root, 'cache');
  readonly data = path.join(this.root, 'data');
  readonly host: string;

  constructor(prefix = 'tnc-host') {
    // dnsmasq drops to its own account and must reach its state below data/.
    fs.chmodSync(this.root, 0o755);
    this.host = createNetns(prefix);
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      NETCONFPATH: this.netconf,
      CNI_PATH: binDir,
      CNI_CACHE_DIR: this.cache,
      TSCNI_RUN_DIR: path.join(this.root, 'run'),
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** cnitool inside the host netns. */
  cnitool(args: string[], env: Record<string, string | undefined> = {}): CliRun {
    const r = spawnSync('ip', ['netns', 'exec', this.host, bin('cnitool'), ...args], { env: this.env(env), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** `cnitool add` for a container with a DNS name; returns the parsed result. */
  add(net: string, ctr: string, name: string, caps?: object): any {
    const r = this.cnitool(['add', net, netnsPath(ctr)], { CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAME=${name}`, ...(caps && { CAP_ARGS: JSON.stringify(caps) }) });
    if (r.code !== 0) throw new Error(`cnitool add ${net} ${ctr} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  del(net: string, ctr: string): CliRun {
    return this.cnitool(['del', net, netnsPath(ctr)]);
  }

  conflist(name: string): string {
    return path.join(this.netconf, `${name}.conflist`);
  }

  /** Every file below NETCONFPATH with its bytes: refusals must leave this unchanged. */
  netconfSnapshot(): Record<string, string> {
    if (!fs.existsSync(this.netconf)) return {};
    return Object.fromEntries(fs.readdirSync(this.netconf).sort().map((f) => [f, fs.readFileSync(path.join(this.netconf, f), 'utf8')]));
  }

  linkNames(ns = this.host): string[] {
    return JSON.parse(inNetns(ns, ['ip', '-j', 'link', 'show'])).map((l: any) => l.ifname);
  }

  /** The host's whole nftables ruleset (tables, sets and their elements, rules). */
  ruleset(): string {
    return inNetns(this.host, ['nft', 'list', 'ruleset']);
  }

  resolve(ctr: string, server: string, name: string): string[] {
    return JSON.parse(inNetns(ctr, [process.execPath, '-e', RESOLVE_A, server, name]));
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export const ipOf = (result: any, family: 4 | 6 = 4): string =>
  String(result.ips.find((i: any) => (family === 4 ? !i.address.includes(':') : i.address.includes(':'))).address).split('/')[0]!;
