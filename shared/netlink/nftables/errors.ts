// nf_tables errors, typed by what callers branch on: EEXIST (the key is there already, with
// another value or under NLM_F_EXCL) and ENOENT (the table, the set, a goto's chain or the
// element is not there). The kernel names the attribute it blames (extended ack offset); as we
// encoded the message ourselves we map that offset back to the table, the set or one element.
import { iterAttrs } from '../codec';
import { NetlinkError } from '../error';
import type { NlAck } from '../socket';
import { NFTA_CHAIN, NFTA_SET_ELEM_LIST } from './constants';

export type NftBlame = 'table' | 'set' | 'element' | 'chain' | 'batch';

export class NftError extends NetlinkError {
  constructor(
    ack: NlAck,
    detail: string,
    /** Which part of the request the kernel refused, when it said so. */
    readonly blame?: NftBlame,
    /** Index of the change in the batch (-1: the batch as a whole). */
    readonly change = -1,
    /** Index of the element in that change, when an element was blamed. */
    readonly element?: number,
  ) {
    super(ack.errno, detail, ack.extAck, ack.offset);
    this.name = 'NftError';
  }
}

/** EEXIST: an element with this key exists (another value, or the add was exclusive). */
export class NftExistsError extends NftError {}

/** ENOENT: the table or set is not set up, a goto's chain is missing, or the element is absent. */
export class NftMissingError extends NftError {}

const EEXIST = 17;
const ENOENT = 2;
const NLMSG_HDRLEN = 16;
const NFGENMSG_LEN = 4;

/** Which attribute of our message (body = nfgenmsg + attributes) the kernel's offset points into. */
export function blameOf(body: Buffer, offset: number | undefined, chainMsg = false): { blame?: NftBlame; element?: number } {
  if (offset === undefined) return {};
  const at = offset - NLMSG_HDRLEN;
  let off = NFGENMSG_LEN;
  for (const [type, payload] of iterAttrs(body, NFGENMSG_LEN)) {
    const len = payload.length + 4;
    if (at >= off && at < off + len) {
      if (type === NFTA_SET_ELEM_LIST.TABLE) return { blame: 'table' }; // NFTA_CHAIN_TABLE too
      if (chainMsg) return type === NFTA_CHAIN.NAME ? { blame: 'chain' } : {};
      if (type === NFTA_SET_ELEM_LIST.SET || type === NFTA_SET_ELEM_LIST.SET_ID) return { blame: 'set' };
      if (type !== NFTA_SET_ELEM_LIST.ELEMENTS) return {};
      let e = 0;
      let eoff = off + 4;
      // Elements are numbered 1, 2, 3… (see codec.ts elemList): position, not type, tells which.
      for (const [, ep] of iterAttrs(payload)) {
        if (at >= eoff && at < eoff + ep.length + 4) return { blame: 'element', element: e };
        eoff += (ep.length + 4 + 3) & ~3;
        e++;
      }
      return { blame: 'element' };
    }
    off += (len + 3) & ~3;
  }
  return {};
}

/** The typed error for a negative ack; `first` is the index of the message's first element in its change. */
export function nftError(ack: NlAck, detail: string, body?: Buffer, change = -1, first = 0, chainMsg = false): NftError {
  const b = body ? blameOf(body, ack.offset, chainMsg) : change < 0 ? { blame: 'batch' as const } : {};
  const blame = b.blame;
  const element = 'element' in b && b.element !== undefined ? first + b.element : undefined;
  const where = blame === 'element' && element !== undefined ? `${detail} (element ${element})` : blame && blame !== 'batch' ? `${detail} (${blame})` : detail;
  if (ack.errno === EEXIST) return new NftExistsError(ack, where, blame, change, element);
  if (ack.errno === ENOENT) return new NftMissingError(ack, where, blame, change, element);
  return new NftError(ack, where, blame, change, element);
}
