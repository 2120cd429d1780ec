// A private world for the firewall plugin: a throwaway "host" netns (forwarding on) where our
// cnitool runs conflists of our bridge + host-local (+ portmap) + firewall, an "outside" netns on
// a veth (host 192.168.79.1 / fd79:1::1, outside .2 / ::2, routed to the container subnets), and
// container netns. Config, cache, IPAM and marker dirs live under a temp dir. destroy() removes all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { bin, binDir, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { startTcpServer, tcpWorks, type Server } from '../../helpers/traffic';

export const HOST_V4 = '192.168.79.1';
export const OUT_V4 = '192.168.79.2';
export const OUT_V6 = 'fd79:1::2';

export interface NetOpts {
  name: string;
  bridge: string;
  /** Third octet of 10.79.X.0/24 (and fd79:X::/64 with dualStack). */
  n: number;
  dualStack?: boolean;
  portmap?: boolean;
  firewall?: Record<string, unknown> | false;
  version?: string;
  /** Last octets of the IPv4 range inside 10.79.X.0/24: networks sharing a bridge share its subnet. */
  range?: [number, number];
}

export interface Attachment {
  netns: string;
  path: string;
  result: any;
  v4: string;
  v6?: string;
}

export class World {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-fw-'));
  readonly netconf = path.join(this.root, 'netconf');
  readonly host: string;
  readonly out: string;
  private containers: string[] = [];
  private servers: Server[] = [];

  constructor() {
    fs.mkdirSync(this.netconf);
    this.host = createNetns('trt');
    this.out = createNetns('trt');
    const h = (...a: string[]): string => inNetns(this.host, a);
    for (const k of ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding']) h('sh', '-c', `echo 1 > /proc/sys/${k}`);
    h('ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out);
    h('ip', 'addr', 'add', `${HOST_V4}/24`, 'dev', 'up0');
    h('ip', 'addr', 'add', 'fd79:1::1/64', 'dev', 'up0', 'nodad');
    h('ip', 'link', 'set', 'up0', 'up');
    const o = (...a: string[]): string => inNetns(this.out, a);
    o('ip', 'addr', 'add', `${OUT_V4}/24`, 'dev', 'eth0');
    o('ip', 'addr', 'add', `${OUT_V6}/64`, 'dev', 'eth0', 'nodad');
    o('ip', 'link', 'set', 'eth0', 'up');
    o('ip', 'route', 'add', '10.79.0.0/16', 'via', HOST_V4);
    o('ip', '-6', 'route', 'add', 'fd79::/16', 'via', 'fd79:1::1');
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      NETCONFPATH: this.netconf,
      CNI_PATH: binDir,
      CNI_CACHE_DIR: path.join(this.root, 'cache'),
      TSCNI_RUN_DIR: path.join(this.root, 'run'),
      ...extra,
    };
  }

  writeNetwork(o: NetOpts): void {
    const v4: Record<string, string> = { subnet: `10.79.${o.n}.0/24` };
    if (o.range) Object.assign(v4, { rangeStart: `10.79.${o.n}.${o.range[0]}`, rangeEnd: `10.79.${o.n}.${o.range[1]}`, gateway: `10.79.${o.n}.1` });
    const ranges: object[] = [[v4]];
    const routes: object[] = [{ dst: '0.0.0.0/0' }];
    if (o.dualStack) ranges.push([{ subnet: `fd79:${o.n}::/64` }]);
    if (o.dualStack) routes.push({ dst: '::/0' });
    const plugins: object[] = [
      { type: 'bridge', bridge: o.bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges, routes, dataDir: path.join(this.root, 'ipam') } },
    ];
    if (o.portmap) plugins.push({ type: 'portmap', capabilities: { portMappings: true } });
    if (o.firewall !== false) plugins.push({ type: 'firewall', ...(o.firewall ?? {}) });
    fs.writeFileSync(path.join(this.netconf, `${o.name}.conflist`), JSON.stringify({ cniVersion: o.version ?? '1.1.0', name: o.name, plugins }, null, 2));
  }

  cnitool(args: string[], env: Record<string, string | undefined> = {}): { code: number; stdout: string; stderr: string } {
    const full: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
    for (const [k, v] of Object.entries(this.env(env))) if (v !== undefined) full[k] = v;
    const r = spawnSync('ip', ['netns', 'exec', this.host, bin('cnitool'), ...args], { env: full, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  newContainer(): { netns: string; path: string } {
    const netns = createNetns('trt');
    this.containers.push(netns);
    return { netns, path: netnsPath(netns) };
  }

  /** cnitool add; throws with cnitool's message on failure. */
  attach(net: string, ctr = this.newContainer(), capArgs?: object): Attachment {
    const r = this.cnitool(['add', net, ctr.path], capArgs ? { CAP_ARGS: JSON.stringify(capArgs) } : {});
    if (r.code !== 0) throw new Error(`cnitool add ${net} failed: ${r.stderr}${r.stdout}`);
    const result = JSON.parse(r.stdout);
    const ips: string[] = result.ips.map((i: any) => i.address.split('/')[0]);
    return { ...ctr, result, v4: ips.find((i) => !i.includes(':'))!, v6: ips.find((i) => i.includes(':')) };
  }

  /** cnitool del; throws with cnitool's message on failure. */
  detach(net: string, a: { path: string }): void {
    const r = this.cnitool(['del', net, a.path]);
    if (r.code !== 0) throw new Error(`cnitool del ${net} failed: ${r.stderr}${r.stdout}`);
  }

  /** Calls the firewall plugin alone, as a runtime would (inside the host netns). */
  firewall(command: string, conf: object, extra: Record<string, string | undefined> = {}): RunResult {
    return run('firewall', { netns: this.host, stdin: conf, env: { CNI_COMMAND: command, CNI_PATH: binDir, TSCNI_RUN_DIR: path.join(this.root, 'run'), ...extra } });
  }

  async serve(a: Attachment, port: number, host = '::'): Promise<void> {
    this.servers.push(await startTcpServer(a.netns, host, port));
  }

  reaches(fromNetns: string, addr: string, port: number): boolean {
    return tcpWorks(fromNetns, addr, port);
  }

  h(...argv: string[]): string {
    return inNetns(this.host, argv);
  }

  iptablesSave(family: 4 | 6 = 4): string {
    return this.h(family === 4 ? 'iptables-save' : 'ip6tables-save', '-t', 'filter');
  }

  /** `nft -j list table inet tscni_firewall` objects, [] when the table is absent. */
  nftTable(): any[] {
    const r = spawnSync('ip', ['netns', 'exec', this.host, 'nft', '-j', 'list', 'table', 'inet', 'tscni_firewall'], { encoding: 'utf8' });
    if (r.status !== 0) return [];
    return JSON.parse(r.stdout).nftables;
  }

  /** Elements of one set of our table, as "key" or "key comment". */
  nftSet(set: string): { key: string; comment?: string }[] {
    const s = this.nftTable().find((o) => o.set?.name === set)?.set;
    return (s?.elem ?? []).map((e: any) => {
      const v = e?.elem ? e.elem.val : e;
      const key = typeof v === 'object' && v.concat ? v.concat.join(' . ') : String(v);
      return { key, comment: e?.elem?.comment };
    });
  }

  setForwardPolicy(policy: 'ACCEPT' | 'DROP', family: 4 | 6 = 4): void {
    this.h(family === 4 ? 'iptables' : 'ip6tables', '-P', 'FORWARD', policy);
  }

  destroy(): void {
    for (const s of this.servers) s.stop();
    for (const c of this.containers) deleteNetns(c);
    deleteNetns(this.host);
    deleteNetns(this.out);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export { sh };

export type BackendName = 'nftables' | 'iptables';

/**
 * A test file's World factory: every world is destroyed after its test and the file fails if a
 * namespace leaked. An iptables world gets a Docker-style FORWARD DROP host, so `auto` picks
 * iptables and the plugin's accepts are what lets neighbours reach each other.
 */
export function worldPerTest(): (backend: BackendName) => World {
  const worlds: World[] = [];
  afterEach(() => {
    while (worlds.length) worlds.pop()!.destroy();
  });
  afterAll(() => {
    expect(leakedNetns().filter((n) => n.startsWith('trt-'))).toEqual([]);
  });
  return (backend) => {
    const w = new World();
    worlds.push(w);
    if (backend === 'iptables') w.setForwardPolicy('DROP');
    return w;
  };
}
