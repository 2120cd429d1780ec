// The overlay's subnet: a CIDR with its network text and bounds precomputed, because the overlay
// compares shares, slices and peers by their bounds over and over. Parsing is cni/ip.ts's.
import { type IpRange, cidrRange, formatIp, networkOf, parseCidr, parseIp, rangeContains } from '../cni/ip';

export interface Subnet extends IpRange {
  /** Go's text of the network address. */
  network: string;
  prefix: number;
}

/** Parses "addr/prefix"; `strict` also demands the host bits be zero. */
export function parseSubnet(s: string, strict = false): Subnet | undefined {
  const c = parseCidr(s);
  if (!c) return undefined;
  const network = networkOf(c);
  if (strict && network.value !== c.ip.value) return undefined;
  return { ...cidrRange(c), network: formatIp(network), prefix: c.prefix };
}

export const subnetText = (s: Subnet): string => `${s.network}/${s.prefix}`;

export function subnetContainsIp(s: Subnet, ip: string): boolean {
  const a = parseIp(ip);
  return !!a && rangeContains(s, a);
}
