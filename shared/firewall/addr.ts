// The firewall's text forms: one canonical text per address (cni/ip.ts's, Go's) so keys compare
// and render the same in nft, iptables and our own conflict checks.
import { type Family, formatIp, networkOf, parseCidr as parseCidrIp, parseIp as parseIpValue } from '../cni/ip';

export interface Cidr {
  family: Family;
  ip: string; // canonical address text
  prefix: number;
  network: string; // canonical network address text
}

export function parseIp(s: string): { family: Family; ip: string } | undefined {
  const a = parseIpValue(s);
  return a && { family: a.family, ip: formatIp(a) };
}

export function parseCidr(s: string): Cidr | undefined {
  const c = parseCidrIp(s);
  return c && { family: c.ip.family, ip: formatIp(c.ip), prefix: c.prefix, network: formatIp(networkOf(c)) };
}

export const subnetOf = (c: Cidr): string => `${c.network}/${c.prefix}`;

/** "Any address": no hostIP, 0.0.0.0 or ::. */
export function isUnspecified(ip: string | undefined): boolean {
  return !ip || ip === '0.0.0.0' || ip === '::';
}
