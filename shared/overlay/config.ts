// vxlan configuration: keys, defaults and every cross-field rule, checked before anything on the
// host is touched. Errors are code 7 and name the field.
import { z } from 'zod';
import { CniError, ErrorCode } from '../cni/error';
import { MAC_RE } from '../cni/mac';
import { interfaceNameProblem } from '../cni/names';
import { netConfSchema } from '../cni/netconf';
import { canonicalIp, ipFamily, ipRange, parseSubnet, rangesOverlap, subnetContainsIp, subnetWithin, type IpRange, type Subnet } from './addr';
import { defaultBridgeName, defaultDeviceName } from './names';
import type { Peer } from './peers';
import { DEFAULT_STATE_DIR } from './state';
import { storeSchema, type StoreConf } from './store/schema';

const ifName = z.string().refine((n) => !interfaceNameProblem(n), (n) => ({ message: interfaceNameProblem(n) ?? '' }));
const ip = z.string().refine((s) => ipFamily(s) !== undefined, 'must be an IPv4 or IPv6 address');
const cidr = z.string().refine((s) => parseSubnet(s) !== undefined, 'must be a CIDR like 10.244.0.0/16');
const mac = z.string().regex(MAC_RE, 'must be a MAC address like 02:00:0a:f4:02:00');
const range = z.object({ rangeStart: ip, rangeEnd: ip }).strict();

const peerSchema = z
  .object({
    name: z.string().optional(),
    underlayIP: ip,
    vtepMac: mac.optional(),
    subnet: cidr.optional(),
    nodeRange: range.optional(),
  })
  .strict();

export const vxlanSchema = netConfSchema.extend({
  mode: z.enum(['l2', 'l3'], { errorMap: () => ({ message: 'must be "l2" or "l3"' }) }),
  vni: z.number().int().min(1).max(16777215),
  port: z.number().int().min(1).max(65535).default(4789),
  underlay: z.object({ interface: ifName.optional(), address: ip.optional() }).strict().default({}),
  mtu: z.number().int().refine((m) => m === 0 || (m >= 68 && m <= 65535), 'must be 0 (derived) or 68-65535').default(0),
  vtepMac: z.union([z.literal('auto'), mac]).default('auto'),
  device: ifName.optional(),
  bridge: ifName.optional(),
  learning: z.boolean().optional(),
  flood: z.enum(['headend', 'multicast']).optional(),
  group: ip.optional(),
  network: cidr,
  nodeSubnet: cidr.optional(),
  nodeRange: range.optional(),
  peers: z.array(peerSchema).default([]),
  /** Hosts meet in a store (etcd): peers and, without nodeSubnet/nodeRange, claimed shares. */
  store: storeSchema.optional(),
  /** l3 with a store: the size of the subnet each host claims (default /24, IPv6 /64). */
  subnetLen: z.number().int().optional(),
  /** l2 with a store: the size of the block of the shared subnet each host claims. */
  nodeBlockLen: z.number().int().optional(),
  ipMasq: z.boolean().default(false),
  firewall: z
    .object({ restrictPortToPeers: z.boolean().default(true), allowForward: z.boolean().default(true) })
    .strict()
    .default({}),
  delegate: z.record(z.unknown()).default({}),
  stateDir: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').default(DEFAULT_STATE_DIR),
  removeWhenIdle: z.boolean().default(false),
});

export type VxlanConf = z.infer<typeof vxlanSchema>;

/** The config after cross-field validation: defaults resolved, addresses parsed. */
export interface Overlay {
  name: string;
  mode: 'l2' | 'l3';
  vni: number;
  port: number;
  flood?: 'headend' | 'multicast';
  group?: string;
  learning: boolean;
  network: Subnet;
  /** l3: this host's subnet (claimed from the store when not configured). */
  nodeSubnet?: Subnet;
  /** l2: this host's slice of the network (a block claimed from the store when not configured). */
  nodeRange?: { rangeStart: string; rangeEnd: string; range: IpRange };
  store?: StoreConf;
  /** l3 with a store: the size of each host's subnet. */
  subnetLen?: number;
  /** l2 with a store and no nodeRange: the size of each host's block. */
  nodeBlockLen?: number;
  device: string;
  bridge: string;
  vtepMac: string;
  mtu: number;
  peers: Peer[];
  ipMasq: boolean;
  restrictPort: boolean;
  allowForward: boolean;
  stateDir: string;
  removeWhenIdle: boolean;
}

const bad = (field: string, msg: string): CniError => new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: field "${field}": ${msg}`);

/** Keys of the bridge delegate that this plugin computes itself. */
const RESERVED_DELEGATE_KEYS: Record<string, string> = {
  name: 'the network name is the delegate name',
  cniVersion: 'the delegate uses the network cniVersion',
  bridge: 'set "bridge" at the top level',
  mtu: 'set "mtu" at the top level (it must match the vxlan device)',
  ipam: 'set "ipam" at the top level',
  prevResult: 'passed through by the plugin',
  runtimeConfig: 'passed through by the plugin',
  args: 'passed through by the plugin',
};

function parseRange(r: { rangeStart: string; rangeEnd: string }, field: string, network: Subnet): IpRange {
  const x = ipRange(r.rangeStart, r.rangeEnd);
  if (!x) throw bad(field, `${r.rangeStart}-${r.rangeEnd} is not a range (same family, start ≤ end)`);
  if (!subnetContainsIp(network, r.rangeStart) || !subnetContainsIp(network, r.rangeEnd)) {
    throw bad(field, `${r.rangeStart}-${r.rangeEnd} is not inside network ${network.network}/${network.prefix}`);
  }
  return x;
}

function parseNodeSubnet(s: string, field: string, network: Subnet): Subnet {
  const sub = parseSubnet(s, true);
  if (!sub) throw bad(field, `${s} is not a subnet on its own boundary (host bits must be zero)`);
  if (!subnetWithin(sub, network)) throw bad(field, `${s} is not inside network ${network.network}/${network.prefix}`);
  if (sub.prefix === network.prefix) throw bad(field, `${s} is the whole network: each host needs its own part of it`);
  return sub;
}

export function validateVxlanConf(c: VxlanConf): Overlay {
  const network = parseSubnet(c.network, true);
  if (!network) throw bad('network', `${c.network} is not a subnet on its own boundary (host bits must be zero)`);

  let flood: Overlay['flood'];
  let nodeSubnet: Subnet | undefined;
  let nodeRange: Overlay['nodeRange'];
  let subnetLen: number | undefined;
  let nodeBlockLen: number | undefined;
  const maxLen = network.family === 4 ? 32 : 128;
  if (!c.store) {
    if (c.subnetLen !== undefined) throw bad('subnetLen', 'only used with a "store" (hosts claim subnets of this size)');
    if (c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'only used with a "store" (hosts claim blocks of this size)');
  }
  if (c.mode === 'l3') {
    if (c.flood !== undefined) throw bad('flood', 'only l2 floods; l3 programs one entry per peer');
    if (c.group !== undefined) throw bad('group', 'only l2 with "flood": "multicast" uses a group');
    if (c.nodeRange !== undefined) throw bad('nodeRange', 'l3 gives each host a subnet: use "nodeSubnet"');
    if (c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'l3 hosts claim subnets: use "subnetLen"');
    if (c.nodeSubnet) nodeSubnet = parseNodeSubnet(c.nodeSubnet, 'nodeSubnet', network);
    else if (!c.store) throw bad('nodeSubnet', 'required in l3 mode without a "store" (this host\'s subnet of "network")');
    if (c.store) {
      subnetLen = c.subnetLen ?? nodeSubnet?.prefix ?? (network.family === 4 ? 24 : 64);
      if (subnetLen <= network.prefix || subnetLen > maxLen) throw bad('subnetLen', `/${subnetLen} is not a part of network ${network.network}/${network.prefix} (must be longer than /${network.prefix}, at most /${maxLen})`);
      if (nodeSubnet && nodeSubnet.prefix !== subnetLen) throw bad('nodeSubnet', `is a /${nodeSubnet.prefix}, but the network's hosts own /${subnetLen} subnets ("subnetLen")`);
    }
  } else {
    flood = c.flood ?? 'headend';
    if (c.nodeSubnet !== undefined) throw bad('nodeSubnet', 'l2 shares one subnet: use "nodeRange"');
    if (c.subnetLen !== undefined) throw bad('subnetLen', 'l2 hosts claim blocks of the shared subnet: use "nodeBlockLen"');
    if (c.nodeRange && c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'this host\'s addresses are fixed by "nodeRange": leave one of them out');
    if (c.nodeRange) nodeRange = { ...c.nodeRange, range: parseRange(c.nodeRange, 'nodeRange', network) };
    else if (!c.store) throw bad('nodeRange', 'required in l2 mode without a "store": this host\'s slice of "network", so hosts never hand out the same address');
    else if (c.nodeBlockLen === undefined) throw bad('nodeBlockLen', 'required in l2 mode with a "store" and no "nodeRange": the size of the block each host claims (e.g. 26 out of a /24)');
    else {
      nodeBlockLen = c.nodeBlockLen;
      if (nodeBlockLen <= network.prefix || nodeBlockLen > maxLen - 2) throw bad('nodeBlockLen', `/${nodeBlockLen} is not a usable block of network ${network.network}/${network.prefix} (longer than /${network.prefix}, at most /${maxLen - 2})`);
    }
    if (flood === 'multicast') {
      if (!c.group) throw bad('group', 'required with "flood": "multicast"');
      const g = canonicalIp(c.group)!;
      const isMulticast = ipFamily(g) === 4 ? /^(22[4-9]|23\d)\./.test(g) : /^ff/i.test(g);
      if (!isMulticast) throw bad('group', `${c.group} is not a multicast address`);
    } else if (c.group !== undefined) {
      throw bad('group', 'a group is only used with "flood": "multicast"');
    }
  }

  const seen = new Map<string, number>();
  const ranges: { field: string; r: IpRange }[] = nodeRange ? [{ field: 'nodeRange', r: nodeRange.range }] : [];
  const subnets: { field: string; s: Subnet }[] = nodeSubnet ? [{ field: 'nodeSubnet', s: nodeSubnet }] : [];
  const ownFirst = nodeRange !== undefined || nodeSubnet !== undefined;
  for (const [i, p] of c.peers.entries()) {
    const f = `peers[${i}]`;
    const u = canonicalIp(p.underlayIP)!;
    if (seen.has(u)) throw bad(`${f}.underlayIP`, `${u} is listed twice (also peers[${seen.get(u)}])`);
    seen.set(u, i);
    if (c.mode === 'l3') {
      if (!p.subnet) throw bad(`${f}.subnet`, 'required in l3 mode (the peer\'s node subnet)');
      if (p.nodeRange) throw bad(`${f}.nodeRange`, 'l3 peers have a "subnet"');
      subnets.push({ field: `${f}.subnet`, s: parseNodeSubnet(p.subnet, `${f}.subnet`, network) });
    } else {
      if (p.subnet) throw bad(`${f}.subnet`, 'l2 peers share "network"; give their "nodeRange" instead');
      if (p.nodeRange) ranges.push({ field: `${f}.nodeRange`, r: parseRange(p.nodeRange, `${f}.nodeRange`, network) });
    }
  }
  // The same peer list is meant to be used on every host (each skips its own entry), so the
  // entry for this host will repeat nodeSubnet/nodeRange: identical is fine, overlapping is not.
  const sameRange = (a: IpRange, b: IpRange): boolean => a.first === b.first && a.last === b.last;
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i]!, ranges[j]!];
      if (rangesOverlap(a.r, b.r) && !(i === 0 && ownFirst && sameRange(a.r, b.r))) {
        throw bad(b.field, `overlaps ${a.field}: two hosts would hand out the same addresses`);
      }
    }
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const [a, b] = [subnets[i]!, subnets[j]!];
      const overlap = a.s.first <= b.s.last && b.s.first <= a.s.last;
      const same = a.s.first === b.s.first && a.s.last === b.s.last;
      if (overlap && !(i === 0 && ownFirst && same)) throw bad(b.field, `overlaps ${a.field}: two hosts would own the same addresses`);
    }
  }

  if (c.store && c.mode === 'l3' && !nodeSubnet) {
    // Static peers claim subnets the store does not know about: they must be of the claimed size.
    for (const sn of subnets) if (sn.s.prefix !== subnetLen) throw bad(sn.field, `is a /${sn.s.prefix}; hosts of this network own /${subnetLen} subnets ("subnetLen")`);
  }
  for (const [k, v] of Object.entries(c.delegate)) {
    if (k === 'type' && v === 'bridge') continue;
    if (k === 'type') throw bad('delegate.type', 'the attachment is always made by the bridge plugin');
    const why = RESERVED_DELEGATE_KEYS[k];
    if (why) throw bad(`delegate.${k}`, why);
  }
  const ipam = c.ipam ?? {};
  for (const k of ['subnet', 'ranges', 'rangeStart', 'rangeEnd', 'gateway']) {
    if ((ipam.type ?? 'host-local') === 'host-local' && (ipam as Record<string, unknown>)[k] !== undefined) {
      throw bad(`ipam.${k}`, `the addresses come from "${c.mode === 'l3' ? 'nodeSubnet' : 'nodeRange'}"; leave ipam.${k} out`);
    }
  }

  return {
    name: c.name,
    mode: c.mode,
    vni: c.vni,
    port: c.port,
    flood,
    group: c.group ? canonicalIp(c.group) : undefined,
    learning: c.learning ?? c.mode === 'l2',
    network,
    nodeSubnet,
    nodeRange,
    ...(c.store && { store: c.store }),
    ...(subnetLen !== undefined && { subnetLen }),
    ...(nodeBlockLen !== undefined && { nodeBlockLen }),
    device: c.device ?? defaultDeviceName(c.name),
    bridge: c.bridge ?? defaultBridgeName(c.name),
    vtepMac: c.vtepMac.toLowerCase(),
    mtu: c.mtu,
    peers: c.peers,
    ipMasq: c.ipMasq,
    restrictPort: c.firewall.restrictPortToPeers,
    allowForward: c.firewall.allowForward,
    stateDir: c.stateDir,
    removeWhenIdle: c.removeWhenIdle,
  };
}
