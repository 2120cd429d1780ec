// Addresses as the API shows them (strings) and as the kernel wants them (bytes), plus the
// attribute codecs that convert between the two.
import ipaddr from 'ipaddr.js';
import { AF_INET, AF_INET6 } from './constants';
import type { Codec } from './codec';
import { isMac } from '../cni/mac';
import { NetlinkError } from './error';

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  bytes: Buffer;
}

const EINVAL = 22;

/** Parses dotted-quad IPv4 or any IPv6 text form; anything else is EINVAL naming the input. */
export function parseIp(s: string, what = 'address'): ParsedIp {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) {
    return { family: 4, bytes: Buffer.from(ipaddr.IPv4.parse(s).toByteArray()) };
  }
  if (s.includes(':') && ipaddr.IPv6.isValid(s)) {
    return { family: 6, bytes: Buffer.from(ipaddr.IPv6.parse(s).toByteArray()) };
  }
  throw new NetlinkError(EINVAL, `invalid IP ${what} "${s}"`);
}

export function formatIp(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16) return ipaddr.fromByteArray([...b]).toString();
  return b.toString('hex');
}

export interface ParsedCidr extends ParsedIp {
  prefixLen: number;
}

export function parseCidr(s: string, what = 'CIDR'): ParsedCidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw new NetlinkError(EINVAL, `invalid ${what} "${s}": missing /prefix`);
  const ip = parseIp(s.slice(0, slash), what);
  const p = s.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new NetlinkError(EINVAL, `invalid ${what} "${s}": bad prefix length`);
  return { ...ip, prefixLen: Number(p) };
}

/** Zeroes the host bits: routes are keyed by their network address. */
export function networkOf(c: ParsedCidr): Buffer {
  const out = Buffer.from(c.bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, c.prefixLen - i * 8));
    out[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** IPv4 broadcast address of a CIDR (all host bits set). */
export function broadcastOf(c: ParsedCidr): Buffer {
  const out = Buffer.from(c.bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, c.prefixLen - i * 8));
    out[i]! |= ~(0xff << (8 - keep)) & 0xff;
  }
  return out;
}

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
