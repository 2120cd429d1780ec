// A throwaway "host" netns whose uplink is a veth into an "outside" netns: that veth pair is the
// LAN, the outside netns is another machine on it. Plugins run in the host netns as a runtime
// would run them; containers are more namespaces.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, netnsPath, sh } from '../../helpers/netns';

export const LAN_PREFIX = '198.51.100';
export const OUTSIDE_ADDR = `${LAN_PREFIX}.254`;
export const MASTER = 'lan0';

export interface Lab {
  host: string;
  outside: string;
  dataDir: string;
  root: string;
  ctr(): string;
  conf(extra?: Record<string, unknown>, ipam?: Record<string, unknown> | null): Record<string, unknown>;
  plugin(role: string, cmd: string, ns: string, conf: Record<string, unknown>, extra?: Record<string, string>): RunResult;
  cnitool(args: string[], env?: Record<string, string>): { code: number; stdout: string; stderr: string };
  cleanup(): void;
}

let labs = 0;
export function makeLab(): Lab {
  const host = createNetns('ttm-host');
  const outside = createNetns('ttm-lan');
  sh(['ip', '-n', host, 'link', 'add', MASTER, 'type', 'veth', 'peer', 'name', 'wan', 'netns', outside]);
  sh(['ip', '-n', host, 'addr', 'add', `${LAN_PREFIX}.1/24`, 'dev', MASTER]);
  sh(['ip', '-n', host, 'link', 'set', MASTER, 'up']);
  sh(['ip', '-n', host, 'route', 'add', 'default', 'via', OUTSIDE_ADDR]);
  sh(['ip', '-n', outside, 'addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'wan']);
  sh(['ip', '-n', outside, 'link', 'set', 'wan', 'up']);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `ttm-mv-${labs++}-`));
  const dataDir = path.join(root, 'ipam');
  const name = `ttmnet${labs}`;
  return {
    host,
    outside,
    dataDir,
    root,
    ctr: () => createNetns('ttm-ctr'),
    conf: (extra = {}, ipam = {}) => ({
      cniVersion: '1.1.0',
      name,
      type: 'macvlan',
      master: MASTER,
      ...(ipam === null
        ? {}
        : { ipam: { type: 'host-local', subnet: `${LAN_PREFIX}.0/24`, rangeStart: `${LAN_PREFIX}.10`, rangeEnd: `${LAN_PREFIX}.50`, gateway: OUTSIDE_ADDR, dataDir, routes: [{ dst: '0.0.0.0/0' }], ...ipam } }),
      ...extra,
    }),
    plugin: (role, cmd, ns, conf, extra = {}) =>
      run(role, {
        netns: host,
        env: cniEnv(cmd, { CNI_CONTAINERID: `id-${path.basename(ns)}`, CNI_NETNS: netnsPath(ns), CNI_IFNAME: 'eth0', ...extra }),
        stdin: conf,
      }),
    cnitool: (args, env = {}) => {
      const r = spawnSync('ip', ['netns', 'exec', host, bin('cnitool'), ...args], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: path.dirname(bin('cnitool')), CNI_CACHE_DIR: path.join(root, 'cache'), ...env },
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    cleanup: () => {
      deleteAllNetns();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function links(ns: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', '-d', 'link', 'show']));
}
export function link(ns: string, dev: string): any {
  return links(ns).find((l) => l.ifname === dev);
}
export function addrs(ns: string, dev: string): string[] {
  const [l] = JSON.parse(inNetns(ns, ['ip', '-j', 'addr', 'show', 'dev', dev]));
  return l.addr_info.filter((a: any) => a.scope === 'global').map((a: any) => `${a.local}/${a.prefixlen}`);
}
export function leases(dataDir: string, net: string): string[] {
  const dir = path.join(dataDir, net);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^[0-9a-f.:]+$/i.test(f));
}
/** The MAC the outside host has learned for an address (its ARP table). */
export function neighMac(ns: string, addr: string): string | undefined {
  const all = JSON.parse(inNetns(ns, ['ip', '-j', 'neigh', 'show', addr]));
  return all[0]?.lladdr;
}
export const ipOf = (r: RunResult, i = 0): string => r.json.ips[i].address.split('/')[0];
