// Addresses as the API shows them (strings) and as the kernel wants them (bytes), plus the
// attribute codecs that convert between the two.
import { type Family, formatIp as formatIpValue, ipFromBytes, ipToBytes, lastOf, networkOf as networkOfCidr, parseCidr as parseCidrValue, parseIp as parseIpValue } from '../cni/ip';
import { AF_INET, AF_INET6 } from './constants';
import type { Codec } from './codec';
import { isMac } from '../cni/mac';
import { NetlinkError } from './error';

export interface ParsedIp {
  family: Family;
  bytes: Buffer;
}

const EINVAL = 22;

/** Parses an address by cni/ip.ts's rules; anything else is EINVAL naming the input. */
export function parseIp(s: string, what = 'address'): ParsedIp {
  const ip = parseIpValue(s);
  if (!ip) throw new NetlinkError(EINVAL, `invalid IP ${what} "${s}"`);
  return { family: ip.family, bytes: ipToBytes(ip) };
}

export function formatIp(b: Buffer): string {
  const ip = ipFromBytes(b);
  return ip ? formatIpValue(ip) : b.toString('hex');
}

export interface ParsedCidr extends ParsedIp {
  prefixLen: number;
}

export function parseCidr(s: string, what = 'CIDR'): ParsedCidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw new NetlinkError(EINVAL, `invalid ${what} "${s}": missing /prefix`);
  const ip = parseIp(s.slice(0, slash), what);
  const c = parseCidrValue(s);
  if (!c) throw new NetlinkError(EINVAL, `invalid ${what} "${s}": bad prefix length`);
  return { ...ip, prefixLen: c.prefix };
}

const cidrOf = (c: ParsedCidr) => ({ ip: ipFromBytes(c.bytes)!, prefix: c.prefixLen });

/** Zeroes the host bits: routes are keyed by their network address. */
export const networkOf = (c: ParsedCidr): Buffer => ipToBytes(networkOfCidr(cidrOf(c)));

/** IPv4 broadcast address of a CIDR (all host bits set). */
export const broadcastOf = (c: ParsedCidr): Buffer => ipToBytes(lastOf(cidrOf(c)));

export const afOf = (f: Family): number => (f === 4 ? AF_INET : AF_INET6);
export const familyOfAf = (af: number): Family => (af === AF_INET ? 4 : 6);

export function parseMac(s: string, what = 'MAC address'): Buffer {
  if (!isMac(s)) throw new NetlinkError(EINVAL, `invalid ${what} "${s}"`);
  return Buffer.from(s.replace(/:/g, ''), 'hex');
}

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Attribute codec: IPv4 or IPv6 address, told apart by length. */
export const ipAttr: Codec<string> = {
  encode: (s) => parseIp(s).bytes,
  decode: formatIp,
};

/** Attribute codec: link-layer address as aa:bb:cc:dd:ee:ff. */
export const macAttr: Codec<string> = {
  encode: (s) => parseMac(s),
  decode: formatMac,
};
