// Address arithmetic the overlay needs for validation: containment, alignment, range overlap.
// Everything works on BigInt so IPv4 and IPv6 share one code path.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Subnet {
  family: Family;
  /** Canonical network address text. */
  network: string;
  prefix: number;
  /** First and last address as integers. */
  first: bigint;
  last: bigint;
}

const bits = (f: Family): number => (f === 4 ? 32 : 128);

export function ipFamily(s: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return 4;
  if (s.includes(':') && ipaddr.IPv6.isValid(s)) return 6;
  return undefined;
}

export function ipToBig(s: string): bigint {
  return ipaddr.parse(s).toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function bigToIp(n: bigint, family: Family): string {
  const bytes: number[] = [];
  for (let i = 0; i < (family === 4 ? 4 : 16); i++) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Canonical text of an address (v6 compressed), or undefined when not an address. */
export function canonicalIp(s: string): string | undefined {
  return ipFamily(s) ? ipaddr.parse(s).toString() : undefined;
}

/** Parses "addr/prefix"; `strict` also demands the host bits be zero. */
export function parseSubnet(s: string, strict = false): Subnet | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const family = ipFamily(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (!family || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits(family)) return undefined;
  const addr = ipToBig(s.slice(0, slash));
  const hostBits = BigInt(bits(family) - prefix);
  const first = (addr >> hostBits) << hostBits;
  if (strict && first !== addr) return undefined;
  const last = first + (1n << hostBits) - 1n;
  return { family, network: bigToIp(first, family), prefix, first, last };
}

export const subnetText = (s: Subnet): string => `${s.network}/${s.prefix}`;

export function subnetContainsIp(s: Subnet, ip: string): boolean {
  if (ipFamily(ip) !== s.family) return false;
  const n = ipToBig(ip);
  return n >= s.first && n <= s.last;
}

/** a lies entirely within b. */
export const subnetWithin = (a: Subnet, b: Subnet): boolean => a.family === b.family && a.first >= b.first && a.last <= b.last;

export interface IpRange {
  family: Family;
  first: bigint;
  last: bigint;
}

export const rangesOverlap = (a: IpRange, b: IpRange): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

export function ipRange(start: string, end: string): IpRange | undefined {
  const f = ipFamily(start);
  if (!f || ipFamily(end) !== f) return undefined;
  const first = ipToBig(start);
  const last = ipToBig(end);
  return first <= last ? { family: f, first, last } : undefined;
}
