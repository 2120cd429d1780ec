// Ranges and range sets, canonicalised exactly as the reference does (same defaults, same
// messages), so a config valid for one plugin is valid for the other and means the same pool.
import { type Cidr, type Family, type Ip, cidrContains, formatCidr, formatIp, ipEquals, lastOf, networkOf, parseCidr, parseIp, bitsOf } from '../cni/ip';

/** A range as written in the config (every field optional but the subnet). */
export interface RangeSpec {
  subnet?: unknown;
  rangeStart?: unknown;
  rangeEnd?: unknown;
  gateway?: unknown;
}

export interface Range {
  subnet: Cidr;
  rangeStart: Ip;
  rangeEnd: Ip;
  gateway: Ip;
}
export type RangeSet = Range[];

export class RangeConfigError extends Error {}

function ipField(v: unknown, field: string): Ip | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ip = typeof v === 'string' ? parseIp(v) : undefined;
  if (!ip) throw new RangeConfigError(`invalid ${field} ${JSON.stringify(v)}: not an IP address`);
  return ip;
}

const inSubnet = (subnet: Cidr, ip: Ip): boolean => cidrContains(subnet, ip);

export function canonicalizeRange(spec: RangeSpec): Range {
  const subnet = typeof spec.subnet === 'string' ? parseCidr(spec.subnet) : undefined;
  if (!subnet) throw new RangeConfigError(`invalid CIDR address: ${spec.subnet === undefined ? '(missing subnet)' : String(spec.subnet)}`);
  const bits = bitsOf(subnet.ip.family);
  if (subnet.prefix > bits - 2) throw new RangeConfigError(`Network ${formatCidr(subnet)} too small to allocate from`);
  const net = networkOf(subnet);
  if (!ipEquals(net, subnet.ip)) {
    throw new RangeConfigError(`Network has host bits set. For a subnet mask of length ${subnet.prefix} the network address is ${formatIp(net)}`);
  }
  const next = (ip: Ip): Ip => ({ family: ip.family, value: ip.value + 1n });
  const gateway = ipField(spec.gateway, 'gateway') ?? next(net);
  const start = ipField(spec.rangeStart, 'rangeStart');
  if (start && !inSubnet(subnet, start)) throw new RangeConfigError(`RangeStart ${formatIp(start)} not in network ${formatCidr(subnet)}`);
  const end = ipField(spec.rangeEnd, 'rangeEnd');
  if (end && !inSubnet(subnet, end)) throw new RangeConfigError(`RangeEnd ${formatIp(end)} not in network ${formatCidr(subnet)}`);
  const last = lastOf(subnet);
  const r: Range = {
    subnet,
    gateway,
    rangeStart: start ?? next(net),
    rangeEnd: end ?? (subnet.ip.family === 4 ? { family: 4, value: last.value - 1n } : last),
  };
  // The reference would iterate past the end of the subnet here; we refuse instead.
  if (r.rangeStart.value > r.rangeEnd.value) {
    throw new RangeConfigError(`RangeStart ${formatIp(r.rangeStart)} is after RangeEnd ${formatIp(r.rangeEnd)}`);
  }
  return r;
}

export const familyOf = (s: RangeSet): Family => s[0]!.subnet.ip.family;

export function rangeContains(r: Range, ip: Ip): boolean {
  return inSubnet(r.subnet, ip) && ip.value >= r.rangeStart.value && ip.value <= r.rangeEnd.value;
}

export function rangesOverlap(a: Range, b: Range): boolean {
  if (a.subnet.ip.family !== b.subnet.ip.family) return false;
  return rangeContains(a, b.rangeStart) || rangeContains(a, b.rangeEnd) || rangeContains(b, a.rangeStart) || rangeContains(b, a.rangeEnd);
}

export const rangeString = (r: Range): string => `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)}`;
export const rangeSetString = (s: RangeSet): string => s.map(rangeString).join(',');

export function rangeFor(s: RangeSet, ip: Ip): Range | undefined {
  return s.find((r) => rangeContains(r, ip));
}

export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((x) => b.some((y) => rangesOverlap(x, y)));
}

export function canonicalizeRangeSet(specs: readonly RangeSpec[]): RangeSet {
  if (specs.length === 0) throw new RangeConfigError('empty range set');
  const set = specs.map(canonicalizeRange);
  if (set.some((r) => r.subnet.ip.family !== familyOf(set))) throw new RangeConfigError('mixed address families');
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) throw new RangeConfigError(`subnets ${rangeString(set[i]!)} and ${rangeString(set[j]!)} overlap`);
    }
  }
  return set;
}

/** Addresses the allocator never hands out: the gateway, and the network/broadcast addresses. */
export function isReservedInRange(r: Range, ip: Ip): boolean {
  if (ip.value === r.gateway.value && ip.family === r.gateway.family) return true;
  const net = networkOf(r.subnet).value;
  if (ip.value === net) return true;
  return r.subnet.ip.family === 4 && ip.value === lastOf(r.subnet).value;
}
