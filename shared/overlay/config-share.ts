// This host's share of the overlay network and how it gets one: l3 owns a nodeSubnet, l2 a
// nodeRange of the shared subnet; either is configured or, with a store, claimed there in blocks
// of subnetLen / nodeBlockLen. Also the l2 flooding rules (head-end or a multicast group).
import { parseSubnet, subnetContainsIp, type Subnet } from './addr';
import { canonicalIp, ipFamily, ipRange, rangeWithin, type IpRange } from '../cni/ip';
import { badField as bad } from './conf-error';
import type { VxlanConf } from './config';

export interface HostShare {
  flood?: 'headend' | 'multicast';
  /** l3: this host's subnet (claimed from the store when not configured). */
  nodeSubnet?: Subnet;
  /** l2: this host's slice of the network (a block claimed from the store when not configured). */
  nodeRange?: { rangeStart: string; rangeEnd: string; range: IpRange };
  /** l3 with a store: the size of each host's subnet. */
  subnetLen?: number;
  /** l2 with a store and no nodeRange: the size of each host's block. */
  nodeBlockLen?: number;
}

export function parseRange(r: { rangeStart: string; rangeEnd: string }, field: string, network: Subnet): IpRange {
  const x = ipRange(r.rangeStart, r.rangeEnd);
  if (!x) throw bad(field, `${r.rangeStart}-${r.rangeEnd} is not a range (same family, start ≤ end)`);
  if (!subnetContainsIp(network, r.rangeStart) || !subnetContainsIp(network, r.rangeEnd)) {
    throw bad(field, `${r.rangeStart}-${r.rangeEnd} is not inside network ${network.network}/${network.prefix}`);
  }
  return x;
}

export function parseNodeSubnet(s: string, field: string, network: Subnet): Subnet {
  const sub = parseSubnet(s, true);
  if (!sub) throw bad(field, `${s} is not a subnet on its own boundary (host bits must be zero)`);
  if (!rangeWithin(sub, network)) throw bad(field, `${s} is not inside network ${network.network}/${network.prefix}`);
  if (sub.prefix === network.prefix) throw bad(field, `${s} is the whole network: each host needs its own part of it`);
  return sub;
}

function l3Share(c: VxlanConf, network: Subnet): HostShare {
  const maxLen = network.family === 4 ? 32 : 128;
  if (c.flood !== undefined) throw bad('flood', 'only l2 floods; l3 programs one entry per peer');
  if (c.group !== undefined) throw bad('group', 'only l2 with "flood": "multicast" uses a group');
  if (c.nodeRange !== undefined) throw bad('nodeRange', 'l3 gives each host a subnet: use "nodeSubnet"');
  if (c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'l3 hosts claim subnets: use "subnetLen"');
  const nodeSubnet = c.nodeSubnet ? parseNodeSubnet(c.nodeSubnet, 'nodeSubnet', network) : undefined;
  if (!c.store) {
    if (!nodeSubnet) throw bad('nodeSubnet', 'required in l3 mode without a "store" (this host\'s subnet of "network")');
    return { nodeSubnet };
  }
  const subnetLen = c.subnetLen ?? nodeSubnet?.prefix ?? (network.family === 4 ? 24 : 64);
  if (subnetLen <= network.prefix || subnetLen > maxLen) throw bad('subnetLen', `/${subnetLen} is not a part of network ${network.network}/${network.prefix} (must be longer than /${network.prefix}, at most /${maxLen})`);
  if (nodeSubnet && nodeSubnet.prefix !== subnetLen) throw bad('nodeSubnet', `is a /${nodeSubnet.prefix}, but the network's hosts own /${subnetLen} subnets ("subnetLen")`);
  return { nodeSubnet, subnetLen };
}

function l2Flood(c: VxlanConf): HostShare['flood'] {
  const flood = c.flood ?? 'headend';
  if (flood === 'multicast') {
    if (!c.group) throw bad('group', 'required with "flood": "multicast"');
    const g = canonicalIp(c.group)!;
    const isMulticast = ipFamily(g) === 4 ? /^(22[4-9]|23\d)\./.test(g) : /^ff/i.test(g);
    if (!isMulticast) throw bad('group', `${c.group} is not a multicast address`);
  } else if (c.group !== undefined) {
    throw bad('group', 'a group is only used with "flood": "multicast"');
  }
  return flood;
}

function l2Share(c: VxlanConf, network: Subnet): HostShare {
  const maxLen = network.family === 4 ? 32 : 128;
  if (c.nodeSubnet !== undefined) throw bad('nodeSubnet', 'l2 shares one subnet: use "nodeRange"');
  if (c.subnetLen !== undefined) throw bad('subnetLen', 'l2 hosts claim blocks of the shared subnet: use "nodeBlockLen"');
  if (c.nodeRange && c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'this host\'s addresses are fixed by "nodeRange": leave one of them out');
  let share: HostShare;
  if (c.nodeRange) share = { nodeRange: { ...c.nodeRange, range: parseRange(c.nodeRange, 'nodeRange', network) } };
  else if (!c.store) throw bad('nodeRange', 'required in l2 mode without a "store": this host\'s slice of "network", so hosts never hand out the same address');
  else if (c.nodeBlockLen === undefined) throw bad('nodeBlockLen', 'required in l2 mode with a "store" and no "nodeRange": the size of the block each host claims (e.g. 26 out of a /24)');
  else {
    const nodeBlockLen = c.nodeBlockLen;
    if (nodeBlockLen <= network.prefix || nodeBlockLen > maxLen - 2) throw bad('nodeBlockLen', `/${nodeBlockLen} is not a usable block of network ${network.network}/${network.prefix} (longer than /${network.prefix}, at most /${maxLen - 2})`);
    share = { nodeBlockLen };
  }
  return { flood: l2Flood(c), ...share };
}

/** The share rules of the mode, and of the store: subnetLen/nodeBlockLen only mean something with one. */
export function hostShare(c: VxlanConf, network: Subnet): HostShare {
  if (!c.store) {
    if (c.subnetLen !== undefined) throw bad('subnetLen', 'only used with a "store" (hosts claim subnets of this size)');
    if (c.nodeBlockLen !== undefined) throw bad('nodeBlockLen', 'only used with a "store" (hosts claim blocks of this size)');
  }
  return c.mode === 'l3' ? l3Share(c, network) : l2Share(c, network);
}
