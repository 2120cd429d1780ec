// An nf_tables transaction on the wire: BATCH_BEGIN (res_id = the nftables subsystem, optionally
// the generation it applies to), one NEWSETELEM/DELSETELEM per change, BATCH_END. Pure, so the
// unit tests compare it with what nft(8) sends.
import { NLM_F_ACK } from '../constants';
import { encodeAttrs } from '../codec';
import type { BatchMsg } from '../socket';
import { batchAttrs, nfgen } from './codec';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, nftType } from './constants';
import { changeBodies, changeFlags, changeType, type NftChange } from './elements';

export interface NftBatch {
  msgs: BatchMsg[];
  /** Per message after BATCH_BEGIN: its change, its first element and its body (to map an error offset back to an element). */
  origin: { change: number; first: number; body: Buffer }[];
}

export function batchMessages(changes: NftChange[], o: { genid?: number } = {}): NftBatch {
  const origin = changes.flatMap((c, change) => changeBodies(c).map((b) => ({ change, ...b })));
  const begin = o.genid === undefined ? [] : [encodeAttrs(batchAttrs, { genid: o.genid })];
  const delimiter = (type: number, extra: Buffer[] = []): BatchMsg => ({ type, flags: 0, parts: [nfgen(0, NFNL_SUBSYS_NFTABLES), ...extra] });
  return {
    origin,
    msgs: [
      delimiter(NFNL_MSG_BATCH_BEGIN, begin),
      // NLM_F_ACK on each change: its answer says whether the kernel took it, so success is an
      // ack per change rather than silence (nft sends no ACK flag and waits for silence).
      ...origin.map((o) => ({ type: nftType(changeType(changes[o.change]!)), flags: changeFlags(changes[o.change]!) | NLM_F_ACK, parts: [o.body] })),
      delimiter(NFNL_MSG_BATCH_END),
    ],
  };
}
