// Our element messages against the bytes nft(8) sent for the same change (fixtures.json, made
// by capture.ts under strace). Compared: message types, flags, nfgenmsg and every attribute
// byte. Not compared, because they legitimately differ: sequence numbers; NLM_F_ACK, which we
// set on each change to get a per-change answer; NFTA_SET_ELEM_LIST_SET_ID, nft's transaction-
// local second name for the set (we never create sets in a batch); attribute padding, which nft
// leaves uninitialised.
import { describe, expect, it } from 'vitest';
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_REQUEST } from '../../../../shared/netlink/constants';
import { align, decodeMessages, encodeAttr, encodeMessage, iterAttrs } from '../../../../shared/netlink/codec';
import { batchMessages } from '../../../../shared/netlink/nftables';
import { getBody } from '../../../../shared/netlink/nftables/elements';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFT_MSG, NFTA_SET_ELEM_LIST, nftType } from '../../../../shared/netlink/nftables/constants';
import { CASES } from './cases';
import captured from './fixtures.json';

const fixtures = (captured as { fixtures: Record<string, { nft: string; hex: string }> }).fixtures;

/** Re-encodes an attribute stream with zero padding, recursing into nested attributes. */
function canonical(b: Buffer, drop: (type: number) => boolean = () => false): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const rawType = b.readUInt16LE(off + 2);
    const payload = b.subarray(off + 4, off + len);
    if (!drop(rawType)) parts.push(encodeAttr(rawType & ~NLA_F_NESTED, rawType & NLA_F_NESTED ? canonical(payload) : payload, (rawType & NLA_F_NESTED) !== 0));
    off += align(len);
  }
  return Buffer.concat(parts);
}

const isElementMsg = (type: number): boolean => type === nftType(NFT_MSG.NEWSETELEM) || type === nftType(NFT_MSG.DELSETELEM);

interface Shape {
  type: number;
  flags: number;
  body: string;
}

function shape(wire: Buffer, dropSetId: boolean): Shape[] {
  return decodeMessages(wire).map((m) => ({
    type: m.type,
    flags: m.flags,
    body: Buffer.concat([m.payload.subarray(0, 4), canonical(m.payload.subarray(4), (t) => dropSetId && isElementMsg(m.type) && t === NFTA_SET_ELEM_LIST.SET_ID)]).toString('hex'),
  }));
}

function ours(c: (typeof CASES)[number]): Buffer {
  if (!Array.isArray(c.ours)) {
    // What NetlinkSocket.request sends: REQUEST|ACK added to the op's flags (0).
    return encodeMessage(nftType(NFT_MSG.GETSETELEM), NLM_F_REQUEST | NLM_F_ACK, 1, [getBody(c.ours.get, c.ours.key)]);
  }
  const { msgs } = batchMessages(c.ours);
  return Buffer.concat(msgs.map((m, i) => encodeMessage(m.type, NLM_F_REQUEST | m.flags, 100 + i, m.parts)));
}

describe('element messages are byte-for-byte what nft sends', () => {
  it('has a captured fixture for every case', () => {
    expect(Object.keys(fixtures).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  for (const c of CASES) {
    it(c.name, () => {
      const fx = fixtures[c.name]!;
      expect(fx.nft).toBe(c.nft); // the fixture is for this very command
      const theirs = shape(Buffer.from(fx.hex, 'hex'), true);
      const mine = shape(ours(c), false);
      expect(mine.map((m) => m.type)).toEqual(theirs.map((m) => m.type));
      for (let i = 0; i < mine.length; i++) {
        const acked = mine[i]!.type !== NFNL_MSG_BATCH_BEGIN && mine[i]!.type !== NFNL_MSG_BATCH_END;
        if (acked) expect(mine[i]!.flags & NLM_F_ACK).toBe(NLM_F_ACK);
        expect(acked ? mine[i]!.flags & ~NLM_F_ACK : mine[i]!.flags, `flags of message ${i}`).toBe(theirs[i]!.flags & (acked ? ~NLM_F_ACK : 0xffff));
        expect(mine[i]!.body, `body of message ${i}`).toBe(theirs[i]!.body);
      }
    });
  }

  it('the comparison can fail: another comment, port or byte order differs', () => {
    const c = CASES[0]!;
    const theirs = shape(Buffer.from(fixtures[c.name]!.hex, 'hex'), true);
    const wrong = batchMessages([{ ...(c.ours as any)[0], elements: [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'net1/abc/eth1' }] }]);
    const mine = shape(Buffer.concat(wrong.msgs.map((m, i) => encodeMessage(m.type, NLM_F_REQUEST | m.flags, i, m.parts))), false);
    expect(mine[1]!.body).not.toBe(theirs[1]!.body);
  });

  it('our messages iterate as well-formed attribute streams', () => {
    for (const c of CASES) for (const m of decodeMessages(ours(c))) expect([...iterAttrs(m.payload, 4)].length).toBeGreaterThanOrEqual(0);
  });
});
