// nf_tables message layouts as tables (the style of ../codec.ts): the nfgenmsg header, the set
// element list and element attributes, nft_data (a value or a verdict), and the element userdata
// that carries nft's comment. Attribute order in the tables' users follows what nft(8) sends, so
// our messages are byte-for-byte nft's (test/unit/netlink/nftables checks that).
import { decodeAttrs, encodeAttr, encodeAttrs, encodeStruct, iterAttrs, type Attrs, type Codec, type Schema, type Struct } from '../codec';
import { NFTA_CHAIN, NFTA_DATA, NFTA_GEN, NFTA_LIST_ELEM, NFTA_SET_ELEM, NFTA_SET_ELEM_LIST, NFTA_VERDICT, NFNL_BATCH_GENID, NFNETLINK_V0, UDATA_SET_ELEM_COMMENT, UDATA_SET_ELEM_FLAGS } from './constants';

/** struct nfgenmsg: the family header of every nfnetlink message (res_id in network order). */
export const nfgenmsg = [['family', 'u8'], ['version', 'u8'], ['resId', 'u16be']] as const satisfies Struct;

export const nfgen = (family: number, resId = 0): Buffer => encodeStruct(nfgenmsg, { family, version: NFNETLINK_V0, resId });

export const verdictAttrs = {
  // A signed code (NFT_GOTO is -4) sent as a big-endian u32.
  code: { id: NFTA_VERDICT.CODE, type: 'u32be' },
  chain: { id: NFTA_VERDICT.CHAIN, type: 'string' },
} as const satisfies Schema;

/** nft_data: raw bytes (keys, mapped values) or a verdict. */
export const dataAttrs = {
  value: { id: NFTA_DATA.VALUE, type: 'bytes' },
  verdict: { id: NFTA_DATA.VERDICT, type: { nested: verdictAttrs } },
} as const satisfies Schema;

export interface ElemUserdata {
  comment?: string;
  flags?: number;
}

/**
 * Element userdata: type-length-value records with a one-byte type and length, as libnftnl's
 * nftnl_udata writes them. nft stores the comment NUL-terminated under type 0.
 */
export const elemUserdata: Codec<ElemUserdata> = {
  encode(u) {
    const parts: Buffer[] = [];
    if (u.comment !== undefined) {
      const s = Buffer.concat([Buffer.from(u.comment), Buffer.alloc(1)]);
      parts.push(Buffer.from([UDATA_SET_ELEM_COMMENT, s.length]), s);
    }
    if (u.flags !== undefined) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(u.flags >>> 0);
      parts.push(Buffer.from([UDATA_SET_ELEM_FLAGS, 4]), f);
    }
    return Buffer.concat(parts);
  },
  decode(b) {
    const out: ElemUserdata = {};
    for (let off = 0; off + 2 <= b.length; ) {
      const type = b[off]!;
      const len = b[off + 1]!;
      const v = b.subarray(off + 2, off + 2 + len);
      if (v.length < len) break; // truncated: keep what was whole
      if (type === UDATA_SET_ELEM_COMMENT) {
        const z = v.indexOf(0);
        out.comment = v.toString('utf8', 0, z < 0 ? v.length : z);
      } else if (type === UDATA_SET_ELEM_FLAGS && len === 4) out.flags = v.readUInt32LE(0);
      off += 2 + len;
    }
    return out;
  },
};

export const setElemAttrs = {
  key: { id: NFTA_SET_ELEM.KEY, type: { nested: dataAttrs } },
  keyEnd: { id: NFTA_SET_ELEM.KEY_END, type: { nested: dataAttrs } },
  flags: { id: NFTA_SET_ELEM.FLAGS, type: 'u32be' },
  data: { id: NFTA_SET_ELEM.DATA, type: { nested: dataAttrs } },
  timeout: { id: NFTA_SET_ELEM.TIMEOUT, type: 'bytes' },
  expiration: { id: NFTA_SET_ELEM.EXPIRATION, type: 'bytes' },
  userdata: { id: NFTA_SET_ELEM.USERDATA, type: elemUserdata },
  objref: { id: NFTA_SET_ELEM.OBJREF, type: 'string' },
} as const satisfies Schema;

type ElemAttrs = Attrs<typeof setElemAttrs>;

/**
 * The element list: nested elements numbered 1, 2, 3… as libnftnl does (the kernel reads any
 * type here, NFTA_LIST_ELEM is 1; numbering keeps our bytes equal to nft's).
 */
export const elemList: Codec<ElemAttrs[]> = {
  encode: (elems) => Buffer.concat(elems.map((e, i) => encodeAttr(NFTA_LIST_ELEM + i, encodeAttrs(setElemAttrs, e), true))),
  decode: (b) => [...iterAttrs(b)].map(([, payload]) => decodeAttrs(setElemAttrs, payload)),
};

export const setElemListAttrs = {
  table: { id: NFTA_SET_ELEM_LIST.TABLE, type: 'string' },
  set: { id: NFTA_SET_ELEM_LIST.SET, type: 'string' },
  /** nft names the set a second time by its transaction id; we never create sets in a batch. */
  setId: { id: NFTA_SET_ELEM_LIST.SET_ID, type: 'u32be' },
  elements: { id: NFTA_SET_ELEM_LIST.ELEMENTS, type: elemList, nested: true },
} as const satisfies Schema;

/** The part of a chain a delete names (nft sends table and name). */
export const chainAttrs = {
  table: { id: NFTA_CHAIN.TABLE, type: 'string' },
  name: { id: NFTA_CHAIN.NAME, type: 'string' },
} as const satisfies Schema;

/** What a GETCHAIN answer tells us: how many references (rules in it, jumps and gotos to it) it has. */
export const chainInfoAttrs = {
  table: { id: NFTA_CHAIN.TABLE, type: 'string' },
  name: { id: NFTA_CHAIN.NAME, type: 'string' },
  use: { id: NFTA_CHAIN.USE, type: 'u32be' },
} as const satisfies Schema;

export const genAttrs = {
  id: { id: NFTA_GEN.ID, type: 'u32be' },
  procPid: { id: NFTA_GEN.PROC_PID, type: 'u32be' },
  procName: { id: NFTA_GEN.PROC_NAME, type: 'string' },
} as const satisfies Schema;

export const batchAttrs = {
  genid: { id: NFNL_BATCH_GENID, type: 'u32be' },
} as const satisfies Schema;
