// Three "hosts" as network namespaces on one underlay (a bridge inside its own namespace), each
// running the vxlan plugin in its own namespace with its own IPAM and state directories, and
// containers per host. Everything is removed in cleanup(), even after a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, netnsPath, sh } from '../../helpers/netns';

export const PREFIX = 'tvx';

export interface Host {
  ns: string;
  name: string;
  ip4: string;
  ip6: string;
  dataDir: string;
  stateDir: string;
}

export interface Lab {
  underlay: string;
  hosts: Host[];
  /** A container netns (the caller attaches it to a host). */
  ctr(): string;
  /** Adds one more namespace on the underlay (not a host of the network) at .index / ::index. */
  addUnderlayNode(index: number, prefix?: string): { ns: string; ip4: string; ip6: string };
  run(cmd: string, host: Host, ctr: string, conf: object, extra?: Record<string, string>): RunResult;
  cleanup(): void;
}

let labs = 0;

export function makeLab(hostCount = 3): Lab {
  const n = labs++;
  const underlay = createNetns(`${PREFIX}-und`);
  sh(['ip', '-n', underlay, 'link', 'add', 'ul', 'type', 'bridge', 'mcast_snooping', '0']);
  sh(['ip', '-n', underlay, 'link', 'set', 'ul', 'up']);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-lab${n}-`));

  const attach = (ns: string, index: number): { ip4: string; ip6: string } => {
    const ip4 = `172.31.0.${index}`;
    const ip6 = `fd31::${index}`;
    sh(['ip', '-n', ns, 'link', 'add', 'und0', 'type', 'veth', 'peer', 'name', `p${index}`, 'netns', underlay]);
    sh(['ip', '-n', underlay, 'link', 'set', `p${index}`, 'master', 'ul', 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ip4}/24`, 'dev', 'und0']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', 'und0', 'nodad']);
    sh(['ip', '-n', ns, 'link', 'set', 'und0', 'up']);
    return { ip4, ip6 };
  };

  const hosts: Host[] = [];
  for (let i = 0; i < hostCount; i++) {
    const ns = createNetns(`${PREFIX}-host`);
    const { ip4, ip6 } = attach(ns, i + 1);
    const dataDir = path.join(tmp, `host${i}`, 'ipam');
    const stateDir = path.join(tmp, `host${i}`, 'state');
    fs.mkdirSync(dataDir, { recursive: true });
    hosts.push({ ns, name: String.fromCharCode(65 + i), ip4, ip6, dataDir, stateDir });
  }

  return {
    underlay,
    hosts,
    ctr: () => createNetns(`${PREFIX}-ctr`),
    addUnderlayNode: (index, prefix = `${PREFIX}-node`) => {
      const ns = createNetns(prefix);
      return { ns, ...attach(ns, index) };
    },
    run: (cmd, host, ctr, conf, extra = {}) =>
      run('vxlan', {
        netns: host.ns,
        env: cniEnv(cmd, { CNI_CONTAINERID: `id-${path.basename(ctr)}`, CNI_NETNS: netnsPath(ctr), CNI_IFNAME: 'eth0', ...extra }),
        stdin: conf,
      }),
    cleanup: () => {
      deleteAllNetns();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export interface ConfOptions {
  mode: 'l2' | 'l3';
  v6Underlay?: boolean;
  /** Which hosts are listed as peers (default: all). */
  peers?: Host[];
  extra?: Record<string, unknown>;
  name?: string;
}

export const L2_NETWORK = '10.50.0.0/24';
export const L3_NETWORK = '10.244.0.0/16';
const hostIndex = (lab: Lab, h: Host): number => lab.hosts.indexOf(h);
export const nodeRange = (i: number): { rangeStart: string; rangeEnd: string } => ({ rangeStart: `10.50.0.${10 + i * 50}`, rangeEnd: `10.50.0.${59 + i * 50}` });
export const nodeSubnet = (i: number): string => `10.244.${i + 1}.0/24`;

/** The network config each host gets: the same peer list everywhere, own share per host. */
export function confFor(lab: Lab, host: Host, o: ConfOptions): Record<string, unknown> {
  const i = hostIndex(lab, host);
  const peers = (o.peers ?? lab.hosts).map((h) => {
    const j = hostIndex(lab, h);
    const underlayIP = o.v6Underlay ? h.ip6 : h.ip4;
    return o.mode === 'l3' ? { name: `host${h.name}`, underlayIP, subnet: nodeSubnet(j) } : { name: `host${h.name}`, underlayIP, nodeRange: nodeRange(j) };
  });
  return {
    cniVersion: '1.1.0',
    name: o.name ?? 'tvxnet',
    type: 'vxlan',
    mode: o.mode,
    vni: 42,
    underlay: { interface: 'und0', ...(o.v6Underlay && { address: host.ip6 }) },
    network: o.mode === 'l3' ? L3_NETWORK : L2_NETWORK,
    ...(o.mode === 'l3' ? { nodeSubnet: nodeSubnet(i) } : { nodeRange: nodeRange(i) }),
    peers,
    stateDir: host.stateDir,
    ipam: { type: 'host-local', dataDir: host.dataDir },
    ...o.extra,
  };
}

export function links(ns: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', '-d', 'link', 'show']));
}
export function link(ns: string, name: string): any {
  return links(ns).find((l) => l.ifname === name);
}
export function fdb(ns: string, dev: string): any[] {
  return JSON.parse(inNetns(ns, ['bridge', '-j', 'fdb', 'show', 'dev', dev]));
}
export function neighs(ns: string, dev: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', 'neigh', 'show', 'dev', dev]));
}
export function routes(ns: string, dev: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', 'route', 'show', 'dev', dev]));
}
export const ipOf = (r: RunResult): string => String(r.json.ips[0].address).split('/')[0]!;
