// A throwaway "host" netns with an "outside" netns on an uplink, and helpers to run the bridge
// plugin there as a runtime would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, netnsPath, sh } from '../../helpers/netns';

export interface Lab {
  host: string;
  outside: string;
  dataDir: string;
  ctr(): string;
  conf(extra?: Record<string, unknown>, ipam?: Record<string, unknown>): Record<string, unknown>;
  bridge(cmd: string, ns: string, conf: Record<string, unknown>, extra?: Record<string, string>): RunResult;
  cleanup(): void;
}

export const HOST_UPLINK = '203.0.113.1';
export const OUTSIDE_ADDR = '203.0.113.2';

let labs = 0;
export function makeLab(subnet = '10.50.0.0/24'): Lab {
  const host = createNetns('tbr-host');
  const outside = createNetns('tbr-out');
  sh(['ip', '-n', host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'wan', 'netns', outside]);
  sh(['ip', '-n', host, 'addr', 'add', `${HOST_UPLINK}/24`, 'dev', 'uplink']);
  sh(['ip', '-n', host, 'link', 'set', 'uplink', 'up']);
  sh(['ip', '-n', outside, 'addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'wan']);
  sh(['ip', '-n', outside, 'link', 'set', 'wan', 'up']);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tbr-ipam-${labs++}-`));
  const name = `tbrnet${labs}`;
  return {
    host,
    outside,
    dataDir,
    ctr: () => createNetns('tbr-ctr'),
    conf: (extra = {}, ipam = {}) => ({
      cniVersion: '1.1.0',
      name,
      type: 'bridge',
      bridge: 'tbr0',
      isGateway: true,
      ipam: { type: 'host-local', subnet, dataDir, routes: [{ dst: '0.0.0.0/0' }], ...ipam },
      ...extra,
    }),
    bridge: (cmd, ns, conf, extra = {}) =>
      run('bridge', {
        netns: host,
        env: cniEnv(cmd, { CNI_CONTAINERID: `id-${path.basename(ns)}`, CNI_NETNS: netnsPath(ns), CNI_IFNAME: 'eth0', ...extra }),
        stdin: conf,
      }),
    cleanup: () => {
      deleteAllNetns();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function links(ns: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', '-d', 'link', 'show']));
}
export function addrs(ns: string, dev: string): string[] {
  const [l] = JSON.parse(inNetns(ns, ['ip', '-j', 'addr', 'show', 'dev', dev]));
  return l.addr_info.filter((a: any) => a.scope === 'global').map((a: any) => `${a.local}/${a.prefixlen}`);
}
export function leases(dataDir: string, net: string): string[] {
  const dir = path.join(dataDir, net);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^[0-9a-f.:]+$/i.test(f) && f !== 'lock');
}
