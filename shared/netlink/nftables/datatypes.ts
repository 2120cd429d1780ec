// nft data types on the wire, as nft(8) encodes them into a set element's key or data: each type
// has a fixed length and byte order; in a concatenation every component starts on a 4-byte
// boundary (one nft register each), so `inet_proto . inet_service` is 1+3 pad + 2+2 pad bytes.
// A single-type key keeps its natural length (a plain inet_service key is 2 bytes).
import { NetlinkError } from '../error';
import { broadcastOf, formatIp, networkOf, parseCidr, parseIp } from '../ip';

const EINVAL = 22;
const invalid = (msg: string): NetlinkError => new NetlinkError(EINVAL, msg);

export type NftType = 'ipv4_addr' | 'ipv6_addr' | 'inet_proto' | 'inet_service' | 'mark' | 'ifname';

/** The value of one component: addresses as text (a prefix "a/len" in interval sets), names for protocols. */
export type NftValueOf<T extends NftType> = T extends 'ipv4_addr' | 'ipv6_addr' | 'ifname' ? string : T extends 'inet_proto' ? string | number : number;
export type NftValues<T extends readonly NftType[]> = { -readonly [I in keyof T]: NftValueOf<T[I]> };

/** Protocol names nft prints for inet_proto (the ones a port mapping can carry, and a few more). */
const PROTO_NUMBERS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132, udplite: 136 };
const PROTO_NAMES = new Map(Object.entries(PROTO_NUMBERS).map(([n, v]) => [v, n]));

interface TypeSpec {
  len: number;
  /** One value (or an interval's first value) → bytes of length len. */
  encode(v: string | number, field: string): Buffer;
  decode(b: Buffer): string | number;
}

function addrType(family: 4 | 6): TypeSpec {
  const len = family === 4 ? 4 : 16;
  return {
    len,
    encode(v, field) {
      const p = parseIp(String(v), field);
      if (p.family !== family) throw invalid(`${field}: "${String(v)}" is not an IPv${family} address`);
      return p.bytes;
    },
    decode: (b) => formatIp(b.subarray(0, len)),
  };
}

function uint(len: 1 | 2 | 4, order: 'be' | 'host', field0: string, max: number): TypeSpec {
  return {
    len,
    encode(v, field) {
      const n = typeof v === 'number' ? v : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > max) throw invalid(`${field}: ${String(v)} is not a ${field0} (0-${max})`);
      const b = Buffer.alloc(len);
      // mark is in host byte order (nft's integer type with BYTEORDER_HOST_ENDIAN): little-endian here.
      if (len === 1) b.writeUInt8(n);
      else if (len === 2) order === 'be' ? b.writeUInt16BE(n) : b.writeUInt16LE(n);
      else order === 'be' ? b.writeUInt32BE(n >>> 0) : b.writeUInt32LE(n >>> 0);
      return b;
    },
    decode(b) {
      if (len === 1) return b.readUInt8(0);
      if (len === 2) return order === 'be' ? b.readUInt16BE(0) : b.readUInt16LE(0);
      return order === 'be' ? b.readUInt32BE(0) : b.readUInt32LE(0);
    },
  };
}

const IFNAMSIZ = 16;

export const TYPES: Record<NftType, TypeSpec> = {
  ipv4_addr: addrType(4),
  ipv6_addr: addrType(6),
  inet_service: uint(2, 'be', 'port', 0xffff),
  mark: uint(4, 'host', 'mark', 0xffffffff),
  inet_proto: {
    len: 1,
    encode(v, field) {
      const n = typeof v === 'number' ? v : PROTO_NUMBERS[v];
      if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) throw invalid(`${field}: unknown protocol "${String(v)}"`);
      return Buffer.from([n]);
    },
    decode: (b) => PROTO_NAMES.get(b[0]!) ?? b[0]!,
  },
  ifname: {
    len: IFNAMSIZ,
    encode(v, field) {
      const s = Buffer.from(String(v));
      if (!s.length || s.length >= IFNAMSIZ || s.includes(0)) throw invalid(`${field}: "${String(v)}" is not an interface name`);
      const b = Buffer.alloc(IFNAMSIZ);
      s.copy(b);
      return b;
    },
    decode(b) {
      const z = b.indexOf(0);
      return b.toString('utf8', 0, z < 0 ? b.length : z);
    },
  },
};

const pad4 = (n: number): number => (n + 3) & ~3;

/** Byte length of a key or data of these types. */
export function concatLen(types: readonly NftType[]): number {
  if (types.length === 1) return TYPES[types[0]!].len;
  return types.reduce((n, t) => n + pad4(TYPES[t].len), 0);
}

/** An address component of an interval element: "a/len" spans network..broadcast, "a" is itself. */
function addrRange(t: 'ipv4_addr' | 'ipv6_addr', v: string, field: string): [Buffer, Buffer] {
  if (!v.includes('/')) {
    const b = TYPES[t].encode(v, field);
    return [b, b];
  }
  const c = parseCidr(v, field);
  if ((c.family === 4) !== (t === 'ipv4_addr')) throw invalid(`${field}: "${v}" is not an ${t}`);
  const first = networkOf(c);
  // nft refuses host bits in a prefix too ("Error: ... is not a valid prefix")
  if (!first.equals(c.bytes)) throw invalid(`${field}: "${v}" has host bits set (nft wants the network address)`);
  return [first, broadcastOf(c)];
}

/**
 * Encodes a key or data. With `interval`, address components may be prefixes and the result is
 * the pair nft sends for a concatenated interval: the first key and the last key (KEY / KEY_END).
 */
export function encodeConcat(types: readonly NftType[], values: readonly (string | number)[], field: string): Buffer;
export function encodeConcat(types: readonly NftType[], values: readonly (string | number)[], field: string, interval: true): [Buffer, Buffer];
export function encodeConcat(types: readonly NftType[], values: readonly (string | number)[], field: string, interval = false): Buffer | [Buffer, Buffer] {
  if (values.length !== types.length) throw invalid(`${field}: ${values.length} values for type ${types.join(' . ')}`);
  const first: Buffer[] = [];
  const last: Buffer[] = [];
  types.forEach((t, i) => {
    const v = values[i]!;
    const name = `${field}[${i}]`;
    if (!interval && typeof v === 'string' && v.includes('/')) throw invalid(`${name}: a prefix ("${v}") needs an interval set`);
    const [b, e] = interval && (t === 'ipv4_addr' || t === 'ipv6_addr') ? addrRange(t, String(v), name) : [TYPES[t].encode(v, name), undefined];
    const width = types.length === 1 ? b.length : pad4(b.length);
    first.push(b, Buffer.alloc(width - b.length));
    last.push(e ?? b, Buffer.alloc(width - b.length));
  });
  return interval ? [Buffer.concat(first), Buffer.concat(last)] : Buffer.concat(first);
}

function prefixLen(a: Buffer, b: Buffer): number | undefined {
  // a..b is a prefix when a and b share the first n bits and a has only zeros, b only ones after.
  let n = 0;
  while (n < a.length * 8 && ((a[n >> 3]! ^ b[n >> 3]!) & (0x80 >> (n & 7))) === 0) n++;
  for (let i = n; i < a.length * 8; i++) {
    const bit = 0x80 >> (i & 7);
    if (a[i >> 3]! & bit || !(b[i >> 3]! & bit)) return undefined;
  }
  return n;
}

/** Decodes a key or data; with an interval's end, address components become "a/len" (or "a-b"). */
export function decodeConcat(types: readonly NftType[], b: Buffer, end?: Buffer): (string | number)[] {
  const out: (string | number)[] = [];
  let off = 0;
  for (const t of types) {
    const spec = TYPES[t];
    const v = spec.decode(b.subarray(off, off + spec.len));
    if (end && (t === 'ipv4_addr' || t === 'ipv6_addr') && !end.subarray(off, off + spec.len).equals(b.subarray(off, off + spec.len))) {
      const e = end.subarray(off, off + spec.len);
      const n = prefixLen(b.subarray(off, off + spec.len), e);
      out.push(n === undefined ? `${v}-${spec.decode(e)}` : `${v}/${n}`);
    } else out.push(v);
    off += types.length === 1 ? spec.len : pad4(spec.len);
  }
  return out;
}
