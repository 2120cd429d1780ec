// The conflist `network create` writes, per driver. Pure: every input (subnets, peers, VNI) was
// resolved and checked before. The plugins' own validators run on the result afterwards
// (create/validate.ts), so what is written is what the plugins accept.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { subnetText, type Subnet } from '../../../shared/overlay/addr';
import { derivedIfName } from '../../../shared/overlay/names';
import type { Peer } from '../../../shared/overlay/peers';
import { CREATED_MARK } from '../../../shared/runtime/network-state';
import type { BridgeOptions, DriverOptions, MacvlanOptions, VxlanOptions } from './options';
import type { SubnetSpec } from './subnets';

export const CNI_VERSION = '1.1.0';
export const DEFAULT_DNS_DOMAIN = 'dns.podman';

export interface NetworkPlan {
  name: string;
  options: DriverOptions;
  subnets: SubnetSpec[];
  internal: boolean;
  dns: boolean;
  /** vxlan: the resolved VNI, static peers and this host's own entry among them. */
  vxlan?: { vni: number; peers?: Peer[]; self?: Peer };
}

type Json = Record<string, unknown>;

/** Docker names user bridges br-<id>; ours are cni-<name> (long names end in a hash, ≤ 15 bytes). */
export const defaultBridge = (network: string): string => derivedIfName('cni-', network);

/** Where a plugin keeps state under -o data_dir (the default layout of /var/lib/cni and /run). */
export const stateDirs = (dataDir: string): { ipam: string; tuning: string; dnsname: string; vxlan: string } => ({
  ipam: path.join(dataDir, 'networks'),
  tuning: path.join(dataDir, 'tuning'),
  dnsname: path.join(dataDir, 'dnsname'),
  vxlan: path.join(dataDir, 'vxlan'),
});

const defaultRoute = (s: Subnet): Json => ({ dst: s.family === 4 ? '0.0.0.0/0' : '::/0' });

function families(subnets: readonly SubnetSpec[]): Subnet[] {
  const seen = new Map<number, Subnet>();
  for (const s of subnets) if (!seen.has(s.subnet.family)) seen.set(s.subnet.family, s.subnet);
  return [...seen.values()];
}

function hostLocal(p: NetworkPlan, withRoutes: boolean): Json {
  const ranges = p.subnets.map((s) => [
    {
      subnet: subnetText(s.subnet),
      ...(s.rangeStart && { rangeStart: s.rangeStart }),
      ...(s.rangeEnd && { rangeEnd: s.rangeEnd }),
      ...(s.gateway && { gateway: s.gateway }),
    },
  ]);
  return {
    type: 'host-local',
    ranges,
    ...(withRoutes && { routes: families(p.subnets).map(defaultRoute) }),
    ...(p.options.dataDir && { dataDir: stateDirs(p.options.dataDir).ipam }),
  };
}

function bridgePlugins(p: NetworkPlan, o: BridgeOptions): Json[] {
  const dirs = o.dataDir ? stateDirs(o.dataDir) : undefined;
  return [
    {
      type: 'bridge',
      bridge: o.bridge ?? defaultBridge(p.name),
      // dnsname serves on the bridge's gateway address, so an internal network with DNS keeps
      // the address (as Docker's internal networks do) but gets no default route and no NAT.
      isGateway: !p.internal || p.dns,
      ipMasq: !p.internal && o.ipMasq,
      hairpinMode: true,
      ...(o.mtu && { mtu: o.mtu }),
      ipam: hostLocal(p, !p.internal),
    },
    ...(p.internal ? [] : [{ type: 'portmap', capabilities: { portMappings: true } }]),
    { type: 'firewall', ...(o.isolate !== 'open' && { ingressPolicy: o.isolate }) },
    { type: 'tuning', ...(dirs && { dataDir: dirs.tuning }) },
    ...(p.dns ? [{ type: 'dnsname', domainName: o.dnsDomain ?? DEFAULT_DNS_DOMAIN, capabilities: { aliases: true }, ...(dirs && { stateDir: dirs.dnsname }) }] : []),
  ];
}

function macvlanPlugins(p: NetworkPlan, o: MacvlanOptions): Json[] {
  return [{ type: 'macvlan', master: o.parent, mode: o.mode, ...(o.mtu && { mtu: o.mtu }), ipam: hostLocal(p, !p.internal) }];
}

function vxlanPlugins(p: NetworkPlan, o: VxlanOptions): Json[] {
  const net = p.subnets[0]!.subnet;
  const v = p.vxlan!;
  const maxLen = net.family === 4 ? 32 : 128;
  const self = v.self;
  const withStore = o.etcd !== undefined;
  const tls = o.etcd && (o.etcd.ca || o.etcd.cert || o.etcd.key) ? { ...(o.etcd.ca && { ca: o.etcd.ca }), ...(o.etcd.cert && { cert: o.etcd.cert }), ...(o.etcd.key && { key: o.etcd.key }) } : undefined;
  const plugin: Json = {
    type: 'vxlan',
    mode: o.mode,
    vni: v.vni,
    ...(o.port && { port: o.port }),
    ...((o.underlay || self) && { underlay: { ...(o.underlay && { interface: o.underlay }), ...(self && { address: self.underlayIP }) } }),
    network: subnetText(net),
    ...(o.mtu && { mtu: o.mtu }),
    ...(self?.subnet && { nodeSubnet: self.subnet }),
    ...(self?.nodeRange && { nodeRange: self.nodeRange }),
    ...(v.peers && { peers: v.peers }),
    ...(o.etcd && { store: { type: 'etcd', endpoints: o.etcd.endpoints, ...(o.etcd.prefix && { prefix: o.etcd.prefix }), ...(tls && { tls }) } }),
    // Each host's share of the subnet when the store hands them out: 4 blocks of an l2 subnet,
    // /24s of an l3 /16 (or 16 parts of a smaller one).
    ...(withStore && o.mode === 'l2' && !self?.nodeRange && { nodeBlockLen: o.blockLen ?? Math.min(net.prefix + 2, maxLen - 2) }),
    ...(withStore && o.mode === 'l3' && { subnetLen: o.subnetLen ?? Math.min(Math.max(net.family === 4 ? 24 : 64, net.prefix + 4), maxLen) }),
    // The overlay's own masquerade; l2 has no gateway on the bridge, so nothing leaves it.
    ipMasq: o.mode === 'l3' && !p.internal,
    ipam: { type: 'host-local', ...(o.mode === 'l3' && !p.internal && { routes: [defaultRoute(net)] }), ...(o.dataDir && { dataDir: stateDirs(o.dataDir).ipam }) },
    ...(o.dataDir && { stateDir: stateDirs(o.dataDir).vxlan }),
    // `network rm` tears the overlay down through GC: the device and bridge go with the network.
    removeWhenIdle: true,
  };
  return [plugin];
}

export function renderConflist(p: NetworkPlan): Json {
  const o = p.options;
  const plugins = o.driver === 'bridge' ? bridgePlugins(p, o) : o.driver === 'macvlan' ? macvlanPlugins(p, o) : vxlanPlugins(p, o);
  return { cniVersion: CNI_VERSION, name: p.name, [CREATED_MARK]: true, plugins };
}

/**
 * Docker picks overlay VNIs from 4096 up; ours is derived from the name, so every host that runs
 * `network create -d vxlan NAME` gets the same VNI without being told (-o vni= overrides it).
 */
export function defaultVni(network: string): number {
  const h = createHash('sha256').update(network).digest().readUInt32BE(0);
  return 4096 + (h % (16777215 - 4096 + 1));
}
