// Set and map elements: a set is described once (family, table, name, key and data types) and
// its elements are plain values; this module turns them into NEWSETELEM / DELSETELEM /
// GETSETELEM bodies and back, the way nft(8) encodes the same element.
import { NLM_F_CREATE, NLM_F_EXCL } from '../constants';
import { decodeAttrs, encodeAttrs, type Attrs } from '../codec';
import { NetlinkError } from '../error';
import { dataAttrs, nfgen, setElemAttrs, setElemListAttrs } from './codec';
import { NFPROTO, NFT_MSG, VERDICT, COMMENT_MAX, type NftFamily } from './constants';
import { concatLen, decodeConcat, encodeConcat, type NftType, type NftValues } from './datatypes';

export type Verdict = 'accept' | 'drop' | 'return' | 'continue' | { goto: string } | { jump: string };
type DataTypes = readonly NftType[] | 'verdict';

/** A set or map as created with nft: `type <key> [: <data>]; [flags interval;]`. */
export interface NftSet<K extends readonly NftType[] = readonly NftType[], D extends DataTypes | undefined = DataTypes | undefined> {
  family: NftFamily;
  table: string;
  name: string;
  key: K;
  /** A map's value type; absent for a plain set. */
  data?: D;
  /** `flags interval` with a concatenated key: elements travel as a KEY/KEY_END pair. */
  interval?: boolean;
}

export type NftDataValue<D> = D extends 'verdict' ? Verdict : D extends readonly NftType[] ? NftValues<D> : never;

export interface NftElement<S extends NftSet = NftSet> {
  /** Component values; in an interval set an address may be a prefix "a/len". */
  key: NftValues<S['key']>;
  /** A map's value (required when adding to a map). */
  value?: NftDataValue<S['data']>;
  /** nft's element comment (userdata); this suite stores the owner tag there. */
  comment?: string;
}

/** One element change in a batch: built by addElements / delElements. */
export interface NftChange {
  op: 'add' | 'del';
  set: NftSet;
  elements: NftElement[];
  /** NLM_F_EXCL: an existing key is an error (EEXIST) even when its value is the same. */
  excl: boolean;
}

const EINVAL = 22;

export function addElements<S extends NftSet>(set: S, elements: NftElement<S>[], o: { excl?: boolean } = {}): NftChange {
  return { op: 'add', set, elements: elements as NftElement[], excl: o.excl ?? false };
}

export function delElements<S extends NftSet>(set: S, keys: Pick<NftElement<S>, 'key'>[]): NftChange {
  return { op: 'del', set, elements: keys as NftElement[], excl: false };
}

export const setLabel = (s: NftSet): string => `${s.family} ${s.table} ${s.name}`;

function verdictData(v: Verdict): Attrs<typeof dataAttrs> {
  if (typeof v === 'string') return { verdict: { code: VERDICT[v] } };
  if ('goto' in v) return { verdict: { code: VERDICT.goto, chain: v.goto } };
  return { verdict: { code: VERDICT.jump, chain: v.jump } };
}

function elemAttrs(set: NftSet, e: NftElement, i: number, withData: boolean): Attrs<typeof setElemAttrs> {
  const field = `${setLabel(set)} element ${i}`;
  if (set.interval && set.key.length < 2) throw new NetlinkError(EINVAL, `${field}: interval sets without a concatenation are not supported`);
  const a: Attrs<typeof setElemAttrs> = {};
  if (set.interval) {
    const [first, last] = encodeConcat(set.key, e.key, `${field} key`, true);
    a.key = { value: first };
    a.keyEnd = { value: last };
  } else a.key = { value: encodeConcat(set.key, e.key, `${field} key`) };
  if (withData && set.data !== undefined) {
    if (e.value === undefined) throw new NetlinkError(EINVAL, `${field}: a map element needs a value`);
    a.data = set.data === 'verdict' ? verdictData(e.value as Verdict) : { value: encodeConcat(set.data, e.value as (string | number)[], `${field} value`) };
  }
  if (withData && e.comment !== undefined) {
    if (Buffer.byteLength(e.comment) > COMMENT_MAX) throw new NetlinkError(EINVAL, `${field}: comment longer than ${COMMENT_MAX} bytes`);
    a.userdata = { comment: e.comment };
  }
  return a;
}

/**
 * An attribute's length is 16 bits, so a long element list goes out as several messages of the
 * same kind (nft splits the same way); they stay in the one transaction.
 */
const ELEMENTS_MAX = 60 * 1024;

/** The bodies (nfgenmsg + attributes) of the NEWSETELEM or DELSETELEM messages for one change. */
export function changeBodies(c: NftChange): { body: Buffer; first: number }[] {
  const elems = c.elements.map((e, i) => elemAttrs(c.set, e, i, c.op === 'add'));
  const chunks: { elems: Attrs<typeof setElemAttrs>[]; first: number }[] = [];
  let size = 0;
  elems.forEach((e, i) => {
    const n = 4 + encodeAttrs(setElemAttrs, e).length;
    if (!chunks.length || size + n > ELEMENTS_MAX) {
      chunks.push({ elems: [], first: i });
      size = 0;
    }
    chunks.at(-1)!.elems.push(e);
    size += n;
  });
  if (!chunks.length) chunks.push({ elems: [], first: 0 });
  const head = nfgen(NFPROTO[c.set.family]);
  return chunks.map((ch) => ({ body: Buffer.concat([head, encodeAttrs(setElemListAttrs, { table: c.set.table, set: c.set.name, elements: ch.elems })]), first: ch.first }));
}

export function changeType(c: NftChange): number {
  return c.op === 'add' ? NFT_MSG.NEWSETELEM : NFT_MSG.DELSETELEM;
}

/** nft sends NLM_F_CREATE on every element add and adds NLM_F_EXCL for `create element`. */
export function changeFlags(c: NftChange): number {
  return c.op === 'add' ? NLM_F_CREATE | (c.excl ? NLM_F_EXCL : 0) : 0;
}

/** GETSETELEM for one key (nft's `get element`; its attribute order: set, table, elements). */
export function getBody(set: NftSet, key: NftElement['key']): Buffer {
  const elem = [elemAttrs(set, { key }, 0, false)];
  return Buffer.concat([nfgen(NFPROTO[set.family]), encodeAttrs(setElemListAttrs, { set: set.name, table: set.table, elements: elem })]);
}

/** A GETSETELEM dump request for the whole set. */
export function dumpBody(set: NftSet): Buffer {
  return Buffer.concat([nfgen(NFPROTO[set.family]), encodeAttrs(setElemListAttrs, { table: set.table, set: set.name })]);
}

function decodeVerdict(v: { code?: number; chain?: string }): Verdict {
  const code = (v.code ?? 0) | 0;
  if (code === VERDICT.goto) return { goto: v.chain ?? '' };
  if (code === VERDICT.jump) return { jump: v.chain ?? '' };
  const name = (Object.keys(VERDICT) as (keyof typeof VERDICT)[]).find((k) => VERDICT[k] === code);
  return (name === 'goto' || name === 'jump' || name === undefined || name === 'break' ? 'continue' : name) as Verdict;
}

/** The elements of a NEWSETELEM message (a GET answer or a dump part), decoded with the set's types. */
export function decodeElements<S extends NftSet>(set: S, body: Buffer): NftElement<S>[] {
  const list = decodeAttrs(setElemListAttrs, body, 4);
  const out: NftElement<S>[] = [];
  for (const a of list.elements ?? []) {
    const key = a.key?.value;
    if (!key || key.length < concatLen(set.key)) continue; // the catch-all element has no key
    const e: NftElement = { key: decodeConcat(set.key, key, a.keyEnd?.value) as NftElement['key'] };
    if (set.data === 'verdict' && a.data?.verdict) e.value = decodeVerdict(a.data.verdict);
    else if (set.data && set.data !== 'verdict' && a.data?.value) e.value = decodeConcat(set.data, a.data.value) as NftElement['value'];
    if (a.userdata?.comment !== undefined) e.comment = a.userdata.comment;
    out.push(e as NftElement<S>);
  }
  return out;
}
