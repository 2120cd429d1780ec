// The one IP address module. Addresses are (family, bigint) so v4 and v6 share one arithmetic.
// The parsing rules are Go's net.ParseIP/ParseCIDR, because the reference plugins are Go: a config
// the reference accepts is accepted here and one it rejects is rejected (no zones, no leading
// zeros, "::ffff:a.b.c.d" is IPv4), in every plugin alike. The text form is exactly Go's
// net.IP.String(): host-local's lease file names must be the ones the reference writes.
// No library parses here: ipaddr.js accepts zones and reads "::1.2.3.4" as v4-mapped, where Go
// does neither, and its IPv4 check compiles four regular expressions on first use (~2 ms of every
// plugin call that reads an address, measured), so the dotted quad is read by hand as well.

export type Family = 4 | 6;
export interface Ip {
  family: Family;
  value: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };
export const bitsOf = (f: Family): number => BITS[f];
export const maxOf = (f: Family): bigint => (1n << BigInt(BITS[f])) - 1n;

function parseV4(s: string): bigint | undefined {
  // Go: exactly four decimal parts of at most 255, no leading zeros (ambiguous octal), no signs.
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) === 48)) return undefined;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      n = n * 10 + d;
    }
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return BigInt(v);
}

function parseV6(s: string): bigint | undefined {
  // Hand-rolled: ipaddr.js reads "::1.2.3.4" as v4-mapped, Go does not.
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  let tail = s;
  let v4tail: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    v4tail = parseV4(s.slice(lastColon + 1));
    if (v4tail === undefined) return undefined;
    tail = s.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = tail.includes('::') ? tail.split('::') : [tail, undefined];
  const groups = (x: string): string[] | undefined => {
    if (x === '') return [];
    const g = x.split(':');
    return g.every((h) => /^[0-9a-fA-F]{1,4}$/.test(h)) ? g : undefined;
  };
  const a = groups(head!);
  const b = rest === undefined ? [] : groups(rest);
  if (!a || !b) return undefined;
  const n = a.length + b.length;
  if (rest === undefined ? n !== 8 : n > 7) return undefined;
  const all = [...a, ...Array(8 - n).fill('0'), ...b];
  let v = all.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
  if (v4tail !== undefined) v = (v & ~0xffffffffn) | v4tail;
  return v;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/** Parses an address; v4-mapped v6 becomes v4, as Go's To4() does. */
export function parseIp(s: string): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  const v4 = parseV4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  }
  if (ip.value >> 32n === 0xffffn && (ip.value & ~0xffffffffn) === V4_MAPPED_PREFIX) {
    return formatIp({ family: 4, value: ip.value & 0xffffffffn });
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zero groups (first one on a tie), only if it spans at least two groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export const ipEquals = (a: Ip, b: Ip): boolean => a.family === b.family && a.value === b.value;

export interface Cidr {
  ip: Ip;
  prefix: number;
}

/** "addr/prefix"; the address keeps its host bits (callers decide whether that is an error). */
export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  // A v4-mapped literal with a v6-sized prefix: Go keeps it v6-sized; we do not support that.
  if (prefix > bitsOf(ip.family)) return undefined;
  return { ip, prefix };
}

export function maskOf(family: Family, prefix: number): bigint {
  const host = BigInt(bitsOf(family) - prefix);
  return maxOf(family) ^ ((1n << host) - 1n);
}

export const networkOf = (c: Cidr): Ip => ({ family: c.ip.family, value: c.ip.value & maskOf(c.ip.family, c.prefix) });
export const lastOf = (c: Cidr): Ip => ({ family: c.ip.family, value: (c.ip.value & maskOf(c.ip.family, c.prefix)) | (maxOf(c.ip.family) ^ maskOf(c.ip.family, c.prefix)) });
export const formatCidr = (c: Cidr): string => `${formatIp(c.ip)}/${c.prefix}`;

export function cidrContains(c: Cidr, ip: Ip): boolean {
  return ip.family === c.ip.family && (ip.value & maskOf(c.ip.family, c.prefix)) === networkOf(c).value;
}

/** The family of an address text, or undefined when Go would not parse it. */
export const ipFamily = (s: string): Family | undefined => parseIp(s)?.family;

/** Go's text of an address, or undefined when not an address. */
export function canonicalIp(s: string): string | undefined {
  const ip = parseIp(s);
  return ip && formatIp(ip);
}

/** Network byte order: 4 bytes for v4, 16 for v6 (the kernel's and Go's To4/To16 lengths). */
export function ipToBytes(ip: Ip): Buffer {
  const n = bitsOf(ip.family) / 8;
  const out = Buffer.alloc(n);
  for (let i = 0, v = ip.value; i < n; i++, v >>= 8n) out[n - 1 - i] = Number(v & 0xffn);
  return out;
}

/** The address in 4 or 16 bytes; undefined for any other length. */
export function ipFromBytes(b: Uint8Array): Ip | undefined {
  if (b.length !== 4 && b.length !== 16) return undefined;
  return { family: b.length === 4 ? 4 : 6, value: b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n) };
}

/** An inclusive span of addresses of one family. */
export interface IpRange {
  family: Family;
  first: bigint;
  last: bigint;
}

export const rangesOverlap = (a: IpRange, b: IpRange): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

/** a lies entirely within b. */
export const rangeWithin = (a: IpRange, b: IpRange): boolean => a.family === b.family && a.first >= b.first && a.last <= b.last;

export const rangeContains = (r: IpRange, ip: Ip): boolean => ip.family === r.family && ip.value >= r.first && ip.value <= r.last;

/** start..end of one family, start not after end; undefined otherwise. */
export function ipRange(start: string, end: string): IpRange | undefined {
  const a = parseIp(start);
  const b = parseIp(end);
  if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
  return { family: a.family, first: a.value, last: b.value };
}

export const cidrRange = (c: Cidr): IpRange => ({ family: c.ip.family, first: networkOf(c).value, last: lastOf(c).value });
