// The -o/--opt keys each driver takes. Docker's long names are accepted where Docker has one
// (com.docker.network.bridge.name, com.docker.network.driver.mtu, …); an unknown key is refused
// rather than silently dropped. Values are checked here; what needs the host (does the parent
// link exist, what does the peers file say) is checked in commands/network-create.ts. Pure.
import path from 'node:path';
import { interfaceNameProblem } from '../../../shared/cni/names';
import { CliError } from '../cli-io';
import type { Driver } from './flags';

export type Isolation = 'open' | 'same-bridge' | 'isolated';
export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;

interface Common {
  /** Root of the network's on-disk state (host-local store, tuning, dnsname, vxlan state). */
  dataDir?: string;
  mtu?: number;
}

export interface BridgeOptions extends Common {
  driver: 'bridge';
  bridge?: string;
  isolate: Isolation;
  ipMasq: boolean;
  dnsDomain?: string;
}

export interface MacvlanOptions extends Common {
  driver: 'macvlan';
  parent: string;
  mode: (typeof MACVLAN_MODES)[number];
}

export interface VxlanOptions extends Common {
  driver: 'vxlan';
  vni?: number;
  mode: 'l2' | 'l3';
  port?: number;
  underlay?: string;
  etcd?: { endpoints: string[]; ca?: string; cert?: string; key?: string; prefix?: string };
  peersFile?: string;
  blockLen?: number;
  subnetLen?: number;
}

export type DriverOptions = BridgeOptions | MacvlanOptions | VxlanOptions;

/** Canonical key for each accepted spelling, per driver. */
const KEYS: Record<Driver, Record<string, string>> = {
  bridge: {
    bridge: 'bridge',
    'com.docker.network.bridge.name': 'bridge',
    mtu: 'mtu',
    'com.docker.network.driver.mtu': 'mtu',
    isolate: 'isolate',
    ip_masquerade: 'ip_masquerade',
    'com.docker.network.bridge.enable_ip_masquerade': 'ip_masquerade',
    dns_domain: 'dns_domain',
    data_dir: 'data_dir',
  },
  macvlan: { parent: 'parent', macvlan_mode: 'macvlan_mode', mtu: 'mtu', 'com.docker.network.driver.mtu': 'mtu', data_dir: 'data_dir' },
  vxlan: {
    vni: 'vni',
    mode: 'mode',
    port: 'port',
    underlay: 'underlay',
    etcd: 'etcd',
    'etcd-ca': 'etcd-ca',
    'etcd-cert': 'etcd-cert',
    'etcd-key': 'etcd-key',
    'etcd-prefix': 'etcd-prefix',
    peers: 'peers',
    block_len: 'block_len',
    subnet_len: 'subnet_len',
    mtu: 'mtu',
    'com.docker.network.driver.mtu': 'mtu',
    data_dir: 'data_dir',
  },
};

const bad = (key: string, v: string, why: string): CliError => new CliError(`invalid option ${key}=${v}: ${why}`);

function int(key: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(key, v, `must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function bool(key: string, v: string): boolean {
  if (/^(true|1)$/i.test(v)) return true;
  if (/^(false|0)$/i.test(v)) return false;
  throw bad(key, v, 'must be true or false');
}

function absPath(key: string, v: string): string {
  if (!path.isAbsolute(v)) throw bad(key, v, 'must be an absolute path');
  return path.resolve(v);
}

function ifname(key: string, v: string): string {
  const p = interfaceNameProblem(v);
  if (p) throw bad(key, v, p);
  return v;
}

function isolation(key: string, v: string): Isolation {
  // podman's spelling: true = isolated from other networks, strict = also from the host's other bridges' traffic to it.
  if (/^(true|1)$/i.test(v)) return 'same-bridge';
  if (/^(false|0)$/i.test(v)) return 'open';
  if (v === 'strict') return 'isolated';
  throw bad(key, v, 'must be true, false or strict');
}

function endpoints(key: string, v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw bad(key, v, 'needs at least one URL');
  for (const u of list) if (!/^https?:\/\/[^/\s]+\/?$/.test(u)) throw bad(key, v, `${JSON.stringify(u)} is not an http:// or https:// URL`);
  return list;
}

/** Validates every -o of a driver; unknown keys are an error listing the known ones. */
export function driverOptions(driver: Driver, opts: ReadonlyArray<readonly [string, string]>): DriverOptions {
  const known = KEYS[driver];
  const v = new Map<string, { key: string; value: string }>();
  for (const [key, value] of opts) {
    const canon = known[key];
    if (!canon) throw new CliError(`unknown option ${JSON.stringify(key)} for driver ${driver} (known: ${[...new Set(Object.values(known))].join(', ')})`);
    if (v.has(canon)) throw new CliError(`option ${key} repeats ${v.get(canon)!.key}`);
    v.set(canon, { key, value });
  }
  const get = <T>(k: string, parse: (key: string, value: string) => T): T | undefined => {
    const e = v.get(k);
    return e ? parse(e.key, e.value) : undefined;
  };
  const common: Common = {
    ...(v.has('data_dir') && { dataDir: get('data_dir', absPath) }),
    ...(v.has('mtu') && { mtu: get('mtu', (k, x) => int(k, x, 68, 65535)) }),
  };
  if (driver === 'bridge') {
    return {
      driver,
      ...common,
      ...(v.has('bridge') && { bridge: get('bridge', ifname) }),
      isolate: get('isolate', isolation) ?? 'open',
      ipMasq: get('ip_masquerade', bool) ?? true,
      ...(v.has('dns_domain') && { dnsDomain: get('dns_domain', (_k, x) => x) }),
    };
  }
  if (driver === 'macvlan') {
    const parent = get('parent', ifname);
    if (!parent) throw new CliError('the macvlan driver needs -o parent=IF (the host interface the containers share)');
    const mode = get('macvlan_mode', (k, x) => {
      if (!(MACVLAN_MODES as readonly string[]).includes(x)) throw bad(k, x, `must be one of ${MACVLAN_MODES.join(', ')}`);
      return x as MacvlanOptions['mode'];
    });
    return { driver, ...common, parent, mode: mode ?? 'bridge' };
  }
  const mode = get('mode', (k, x) => {
    if (x !== 'l2' && x !== 'l3') throw bad(k, x, 'must be l2 or l3');
    return x;
  });
  const etcdUrls = get('etcd', endpoints);
  for (const k of ['etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-prefix']) {
    if (v.has(k) && !etcdUrls) throw new CliError(`option ${k} needs -o etcd=URL[,URL]`);
  }
  const peersFile = get('peers', absPath);
  if (!etcdUrls && !peersFile) throw new CliError('the vxlan driver needs -o etcd=URL[,URL] (hosts meet in etcd) or -o peers=FILE (a JSON list of the hosts)');
  const o: VxlanOptions = {
    driver,
    ...common,
    mode: mode ?? 'l2',
    ...(v.has('vni') && { vni: get('vni', (k, x) => int(k, x, 1, 16777215)) }),
    ...(v.has('port') && { port: get('port', (k, x) => int(k, x, 1, 65535)) }),
    ...(v.has('underlay') && { underlay: get('underlay', ifname) }),
    ...(peersFile && { peersFile }),
    ...(v.has('block_len') && { blockLen: get('block_len', (k, x) => int(k, x, 1, 126)) }),
    ...(v.has('subnet_len') && { subnetLen: get('subnet_len', (k, x) => int(k, x, 1, 128)) }),
  };
  if (etcdUrls) {
    o.etcd = {
      endpoints: etcdUrls,
      ...(v.has('etcd-ca') && { ca: get('etcd-ca', absPath) }),
      ...(v.has('etcd-cert') && { cert: get('etcd-cert', absPath) }),
      ...(v.has('etcd-key') && { key: get('etcd-key', absPath) }),
      ...(v.has('etcd-prefix') && { prefix: get('etcd-prefix', (k, x) => (x.startsWith('/') ? x : (() => { throw bad(k, x, 'must start with /'); })())) }),
    };
  }
  if (o.blockLen !== undefined && o.mode !== 'l2') throw new CliError('option block_len is for -o mode=l2 (l3 hosts own subnets: subnet_len)');
  if (o.subnetLen !== undefined && o.mode !== 'l3') throw new CliError('option subnet_len is for -o mode=l3 (l2 hosts own blocks: block_len)');
  return o;
}
