// Netlink wire format: nlmsghdr, fixed family headers and (nested) attributes, all described by
// tables — a fixed header is a list of [field, type], an attribute set maps a name to its id and
// type — so layouts live in one place and the ops modules only deal with named values.
import { NLA_F_NESTED, NLA_TYPE_MASK } from './constants';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

/** Netlink aligns messages and attributes to 4 bytes. */
export const align = (n: number): number => (n + 3) & ~3;

// ---------- fixed headers ----------

export type FieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u16be' | 'pad8' | 'pad16';
export type Struct = readonly (readonly [string, FieldType])[];
type DataFields<S extends Struct> = Exclude<S[number], readonly [string, 'pad8' | 'pad16']>;
export type StructOf<S extends Struct> = { [F in DataFields<S> as F[0]]: number };

const FIELD_SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, s32: 4, u16be: 2, pad8: 1, pad16: 2 };

export function structSize(s: Struct): number {
  return s.reduce((n, [, t]) => n + FIELD_SIZE[t], 0);
}

export function encodeStruct<S extends Struct>(s: S, v: Partial<StructOf<S>>): Buffer {
  const b = Buffer.alloc(structSize(s));
  let off = 0;
  const vals = v as Record<string, number | undefined>;
  for (const [name, t] of s) {
    const x = vals[name] ?? 0;
    switch (t) {
      case 'u8': b.writeUInt8(x, off); break;
      case 'u16': b.writeUInt16LE(x, off); break;
      case 'u16be': b.writeUInt16BE(x, off); break;
      case 'u32': b.writeUInt32LE(x >>> 0, off); break;
      case 's32': b.writeInt32LE(x, off); break;
      default: break; // padding stays zero: strict kernel checks reject anything else
    }
    off += FIELD_SIZE[t];
  }
  return b;
}

export function decodeStruct<S extends Struct>(s: S, b: Buffer, at = 0): StructOf<S> {
  const out: Record<string, number> = {};
  let off = at;
  for (const [name, t] of s) {
    switch (t) {
      case 'u8': out[name] = b.readUInt8(off); break;
      case 'u16': out[name] = b.readUInt16LE(off); break;
      case 'u16be': out[name] = b.readUInt16BE(off); break;
      case 'u32': out[name] = b.readUInt32LE(off); break;
      case 's32': out[name] = b.readInt32LE(off); break;
      default: break;
    }
    off += FIELD_SIZE[t];
  }
  return out as StructOf<S>;
}

// The family headers of rtnetlink (linux/rtnetlink.h, if_addr.h, neighbour.h).
export const ifinfomsg = [
  ['family', 'u8'], ['pad', 'pad8'], ['type', 'u16'], ['index', 's32'], ['flags', 'u32'], ['change', 'u32'],
] as const satisfies Struct;
export const ifaddrmsg = [
  ['family', 'u8'], ['prefixLen', 'u8'], ['flags', 'u8'], ['scope', 'u8'], ['index', 'u32'],
] as const satisfies Struct;
export const rtmsg = [
  ['family', 'u8'], ['dstLen', 'u8'], ['srcLen', 'u8'], ['tos', 'u8'], ['table', 'u8'], ['protocol', 'u8'],
  ['scope', 'u8'], ['type', 'u8'], ['flags', 'u32'],
] as const satisfies Struct;
export const ndmsg = [
  ['family', 'u8'], ['pad1', 'pad8'], ['pad2', 'pad16'], ['index', 's32'], ['state', 'u16'], ['flags', 'u8'], ['type', 'u8'],
] as const satisfies Struct;
export const rtnexthop = [['len', 'u16'], ['flags', 'u8'], ['hops', 'u8'], ['index', 's32']] as const satisfies Struct;
export const bridgeVlanInfo = [['flags', 'u16'], ['vid', 'u16']] as const satisfies Struct;

// ---------- attributes ----------

/** A value type with its own wire form (e.g. a MAC or an IP address as a string). */
export interface Codec<V> {
  encode(v: V): Buffer;
  decode(b: Buffer): V;
}

export type Scalar = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'u16be' | 'u32be' | 'string' | 'bytes' | 'flag';
export type AttrType = Scalar | { nested: Schema } | { struct: Struct } | Codec<any>;
export interface AttrSpec {
  readonly id: number;
  readonly type: AttrType;
  /** The attribute may repeat (e.g. IFLA_BRIDGE_VLAN_INFO): its value is an array. */
  readonly multi?: boolean;
  /** Set NLA_F_NESTED on a pre-encoded ('bytes') payload that is itself an attribute list. */
  readonly nested?: boolean;
}
export type Schema = { readonly [name: string]: AttrSpec };

type ValueOf<T> = T extends 'u8' | 'u16' | 'u32' | 's32' | 'u16be' | 'u32be'
  ? number
  : T extends 'u64'
    ? bigint
    : T extends 'string'
      ? string
      : T extends 'flag'
        ? boolean
        : T extends 'bytes'
          ? Buffer
          : T extends { nested: infer S extends Schema }
            ? Attrs<S>
            : T extends { struct: infer S extends Struct }
              ? StructOf<S>
              : T extends Codec<infer V>
                ? V
                : never;

/** The named values of an attribute set; every attribute is optional. */
export type Attrs<S extends Schema> = {
  -readonly [K in keyof S]?: S[K] extends { multi: true } ? ValueOf<S[K]['type']>[] : ValueOf<S[K]['type']>;
};

export function encodeAttr(id: number, payload: Buffer, nested = false): Buffer {
  const len = NLA_HDRLEN + payload.length;
  const b = Buffer.alloc(align(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(nested ? id | NLA_F_NESTED : id, 2);
  payload.copy(b, NLA_HDRLEN);
  return b;
}

function encodeValue(t: AttrType, v: unknown): Buffer {
  if (typeof t === 'string') {
    switch (t) {
      case 'u8': return Buffer.from([Number(v) & 0xff]);
      case 'u16': { const b = Buffer.alloc(2); b.writeUInt16LE(Number(v)); return b; }
      case 'u16be': { const b = Buffer.alloc(2); b.writeUInt16BE(Number(v)); return b; }
      case 'u32': { const b = Buffer.alloc(4); b.writeUInt32LE(Number(v) >>> 0); return b; }
      case 'u32be': { const b = Buffer.alloc(4); b.writeUInt32BE(Number(v) >>> 0); return b; }
      case 's32': { const b = Buffer.alloc(4); b.writeInt32LE(Number(v)); return b; }
      case 'u64': { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v as bigint)); return b; }
      case 'string': return Buffer.concat([Buffer.from(String(v)), Buffer.alloc(1)]);
      case 'bytes': return v as Buffer;
      case 'flag': return Buffer.alloc(0);
    }
  }
  if ('nested' in t) return encodeAttrs(t.nested, v as Attrs<Schema>);
  if ('struct' in t) return encodeStruct(t.struct, v as Record<string, number>);
  return t.encode(v);
}

/** Encodes the given values in insertion order; undefined values and false flags are omitted. */
export function encodeAttrs<S extends Schema>(schema: S, values: Attrs<S>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(values as Record<string, unknown>)) {
    if (v === undefined) continue;
    const spec = schema[name];
    if (!spec) throw new Error(`netlink codec: attribute "${name}" is not in the table`);
    if (spec.type === 'flag' && !v) continue;
    const nested = spec.nested ?? (typeof spec.type === 'object' && 'nested' in spec.type);
    const items = spec.multi ? (v as unknown[]) : [v];
    for (const item of items) parts.push(encodeAttr(spec.id, encodeValue(spec.type, item), nested));
  }
  return Buffer.concat(parts);
}

function decodeValue(t: AttrType, b: Buffer): unknown {
  if (typeof t === 'string') {
    switch (t) {
      case 'u8': return b.readUInt8(0);
      case 'u16': return b.readUInt16LE(0);
      case 'u16be': return b.readUInt16BE(0);
      case 'u32': return b.readUInt32LE(0);
      case 'u32be': return b.readUInt32BE(0);
      case 's32': return b.readInt32LE(0);
      case 'u64': return b.readBigUInt64LE(0);
      case 'string': { const z = b.indexOf(0); return b.toString('utf8', 0, z < 0 ? b.length : z); }
      case 'bytes': return Buffer.from(b);
      case 'flag': return true;
    }
  }
  if ('nested' in t) return decodeAttrs(t.nested, b);
  if ('struct' in t) return decodeStruct(t.struct, b);
  return t.decode(b);
}

/** Splits an attribute stream into [type, payload] pairs (the nested/byte-order bits masked). */
export function* iterAttrs(b: Buffer, at = 0, end = b.length): Generator<[number, Buffer]> {
  let off = at;
  while (off + NLA_HDRLEN <= end) {
    const len = b.readUInt16LE(off);
    if (len < NLA_HDRLEN || off + len > end) break; // malformed tail: stop rather than misread
    yield [b.readUInt16LE(off + 2) & NLA_TYPE_MASK, b.subarray(off + NLA_HDRLEN, off + len)];
    off += align(len);
  }
}

// Reverse tables are built once per schema object.
const byId = new WeakMap<Schema, Map<number, [string, AttrSpec]>>();
function idIndex(schema: Schema): Map<number, [string, AttrSpec]> {
  let m = byId.get(schema);
  if (!m) {
    m = new Map(Object.entries(schema).map(([name, spec]) => [spec.id, [name, spec]]));
    byId.set(schema, m);
  }
  return m;
}

/** Decodes the attributes this table names; unknown ids are skipped (newer kernels add more). */
export function decodeAttrs<S extends Schema>(schema: S, b: Buffer, at = 0, end = b.length): Attrs<S> {
  const ids = idIndex(schema);
  const out: Record<string, unknown> = {};
  for (const [id, payload] of iterAttrs(b, at, end)) {
    const hit = ids.get(id);
    if (!hit) continue;
    const [name, spec] = hit;
    const v = decodeValue(spec.type, payload);
    if (spec.multi) ((out[name] ??= []) as unknown[]).push(v);
    else out[name] = v;
  }
  return out as Attrs<S>;
}

// ---------- messages ----------

export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the nlmsghdr. */
  payload: Buffer;
}

export function encodeMessage(type: number, flags: number, seq: number, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len = NLMSG_HDRLEN + body.length;
  const b = Buffer.alloc(align(len));
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  b.writeUInt32LE(0, 12); // port id 0: the kernel
  body.copy(b, NLMSG_HDRLEN);
  return b;
}

/** Splits one datagram into messages. The payloads are views: copy before the buffer is reused. */
export function decodeMessages(b: Buffer, len = b.length): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= len) {
    const mlen = b.readUInt32LE(off);
    if (mlen < NLMSG_HDRLEN || off + mlen > len) throw new Error(`netlink: malformed message length ${mlen} at ${off}`);
    out.push({
      type: b.readUInt16LE(off + 4),
      flags: b.readUInt16LE(off + 6),
      seq: b.readUInt32LE(off + 8),
      pid: b.readUInt32LE(off + 12),
      payload: b.subarray(off + NLMSG_HDRLEN, off + mlen),
    });
    off += align(mlen);
  }
  return out;
}

/** A message body = a fixed header followed by attributes. */
export function decodeBody<H extends Struct, S extends Schema>(
  header: H,
  schema: S,
  payload: Buffer,
): { hdr: StructOf<H>; attrs: Attrs<S> } {
  const size = structSize(header);
  return { hdr: decodeStruct(header, payload), attrs: decodeAttrs(schema, payload, align(size)) };
}
