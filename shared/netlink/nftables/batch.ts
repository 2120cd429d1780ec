// An nf_tables transaction on the wire: BATCH_BEGIN (res_id = the nftables subsystem, optionally
// the generation it applies to), one NEWSETELEM/DELSETELEM per change (or DELCHAIN), BATCH_END.
// Pure, so the unit tests compare it with what nft(8) sends.
import { NLM_F_ACK } from '../constants';
import { encodeAttrs } from '../codec';
import type { BatchMsg } from '../socket';
import { batchAttrs, chainAttrs, nfgen } from './codec';
import { NFPROTO, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFT_MSG, nftType, type NftFamily } from './constants';
import { changeBodies, changeFlags, changeType, type NftChange } from './elements';

/**
 * Deleting a chain: with the elements that jump to it deleted earlier in the same batch, the
 * kernel sees it unreferenced; while anything still jumps to it, the delete is EBUSY.
 */
export interface NftChainDelete {
  op: 'delchain';
  family: NftFamily;
  table: string;
  chain: string;
}

export const delChain = (family: NftFamily, table: string, chain: string): NftChainDelete => ({ op: 'delchain', family, table, chain });

/** One change of a transaction. */
export type NftOp = NftChange | NftChainDelete;

function opMessages(op: NftOp, change: number): { change: number; first: number; body: Buffer; type: number; flags: number }[] {
  if (op.op === 'delchain') {
    const body = Buffer.concat([nfgen(NFPROTO[op.family]), encodeAttrs(chainAttrs, { table: op.table, name: op.chain })]);
    return [{ change, first: 0, body, type: NFT_MSG.DELCHAIN, flags: 0 }];
  }
  return changeBodies(op).map((b) => ({ change, ...b, type: changeType(op), flags: changeFlags(op) }));
}

export interface NftBatch {
  msgs: BatchMsg[];
  /** Per message after BATCH_BEGIN: its change, its first element and its body (to map an error offset back to an element). */
  origin: { change: number; first: number; body: Buffer; type: number }[];
}

export function batchMessages(changes: NftOp[], o: { genid?: number } = {}): NftBatch {
  const origin = changes.flatMap(opMessages);
  const begin = o.genid === undefined ? [] : [encodeAttrs(batchAttrs, { genid: o.genid })];
  const delimiter = (type: number, extra: Buffer[] = []): BatchMsg => ({ type, flags: 0, parts: [nfgen(0, NFNL_SUBSYS_NFTABLES), ...extra] });
  return {
    origin,
    msgs: [
      delimiter(NFNL_MSG_BATCH_BEGIN, begin),
      // NLM_F_ACK on each change: its answer says whether the kernel took it, so success is an
      // ack per change rather than silence (nft sends no ACK flag and waits for silence).
      ...origin.map((o) => ({ type: nftType(o.type), flags: o.flags | NLM_F_ACK, parts: [o.body] })),
      delimiter(NFNL_MSG_BATCH_END),
    ],
  };
}
