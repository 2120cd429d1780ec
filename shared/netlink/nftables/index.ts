// nf_tables over a NETLINK_NETFILTER socket, for set and map elements: what nft(8) sends for
// `add/create/delete/get element` and `list set`, without its process start, library init and
// ruleset cache (~20 ms per call). Tables, chains, sets and rules stay nft's business.
//
//   const nft = Nftables.open();           // bound to the current thread's netns, like Netlink
//   nft.apply([addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: tag }], { excl: true })]);
//   nft.get(dnat4, ['tcp', 8080]);         // { key, value, comment } or undefined
//   nft.close();
import { NetlinkSocket } from '../socket';
import { decodeAttrs } from '../codec';
import { NetlinkError } from '../error';
import { batchMessages, type NftOp } from './batch';
import { encodeAttrs } from '../codec';
import { chainAttrs, chainInfoAttrs, genAttrs, nfgen } from './codec';
import { NETLINK_NETFILTER, NFPROTO, NFT_MSG, nftType, type NftFamily } from './constants';
import { decodeElements, dumpBody, getBody, setLabel, type NftElement, type NftSet } from './elements';
import { NftMissingError, nftError } from './errors';

export { batchMessages, delChain, type NftBatch, type NftChainDelete, type NftOp } from './batch';
export { addElements, delElements, type NftChange, type NftDataValue, type NftElement, type NftSet, type Verdict } from './elements';
export { NftError, NftExistsError, NftMissingError, type NftBlame } from './errors';
export type { NftType, NftValues } from './datatypes';
export type { NftFamily } from './constants';

const ENOENT = 2;

const describe = (c: NftOp): string =>
  c.op === 'delchain' ? `delete chain ${c.family} ${c.table} ${c.chain}` : `${c.op} ${c.elements.length} element(s) ${c.op === 'add' ? 'to' : 'from'} ${setLabel(c.set)}`;

export class Nftables {
  private constructor(private readonly sock: NetlinkSocket) {}

  /** A NETLINK_NETFILTER socket in the current thread's netns (EPERM without CAP_NET_ADMIN on use). */
  static open(): Nftables {
    return new Nftables(NetlinkSocket.open(NETLINK_NETFILTER));
  }

  close(): void {
    this.sock.close();
  }

  /**
   * One transaction: every change is applied, or none (the kernel aborts the batch on the first
   * error and reports it against that change's message). With `genid`, the batch applies only
   * while the ruleset is still at that generation (ERESTART otherwise).
   * Throws NftExistsError / NftMissingError / NftError naming the change and element blamed.
   */
  apply(changes: NftOp[], o: { genid?: number } = {}): void {
    if (!changes.length) return;
    const { msgs, origin } = batchMessages(changes, o);
    const what = `nftables: ${changes.map(describe).join('; ')}`;
    const acks = this.sock.batch(msgs, what);
    const refused = acks[0];
    if (refused?.errno) throw nftError(refused, `${what}: batch refused`);
    origin.forEach(({ change, first, body, type }, i) => {
      const a = acks[i + 1];
      if (a?.errno) throw nftError(a, `${what}: change ${change} (${describe(changes[change]!)})`, body, change, first, type === NFT_MSG.DELCHAIN);
      if (!a) throw new NetlinkError(71, `${what}: no answer for change ${change}`);
    });
  }

  /** The element with this key (value and comment); undefined when absent; NftMissingError when the table/set is. */
  get<S extends NftSet>(set: S, key: NftElement<S>['key']): NftElement<S> | undefined {
    const body = getBody(set, key as NftElement['key']);
    let replies;
    try {
      replies = this.sock.request(nftType(NFT_MSG.GETSETELEM), 0, [body], `nftables: get element from ${setLabel(set)}`);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      const err = nftError({ errno: e.errno, extAck: e.extAck, offset: e.offset }, e.message.replace(/ \(E[A-Z]+\)$/, ''), body, 0);
      // A missing key is an answer, not a fault; a missing table or set is the caller's to handle.
      if (e.errno === ENOENT && err.blame !== 'table' && err.blame !== 'set') return undefined;
      throw err;
    }
    for (const m of replies) {
      if (m.type !== nftType(NFT_MSG.NEWSETELEM)) continue;
      const [e] = decodeElements(set, m.payload);
      if (e) return e;
    }
    return undefined;
  }

  /** Every element of the set (for GC and CHECK); NftMissingError when the table or set is missing. */
  list<S extends NftSet>(set: S): NftElement<S>[] {
    const body = dumpBody(set);
    let msgs;
    try {
      msgs = this.sock.dump(nftType(NFT_MSG.GETSETELEM), [body], `nftables: list ${setLabel(set)}`);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      throw nftError({ errno: e.errno, extAck: e.extAck, offset: e.offset }, e.message.replace(/ \(E[A-Z]+\)$/, ''), body, 0);
    }
    return msgs.filter((m) => m.type === nftType(NFT_MSG.NEWSETELEM)).flatMap((m) => decodeElements(set, m.payload));
  }

  /**
   * The chain's use count (the kernel's chain->use: its rules plus the jumps and gotos to it, map
   * elements included); undefined when the chain or its table does not exist. Deleting a chain
   * while it is referenced fails with EBUSY, and a failed transaction is costly to abort, so
   * callers ask first.
   */
  chainUse(family: NftFamily, table: string, chain: string): number | undefined {
    const body = Buffer.concat([nfgen(NFPROTO[family]), encodeAttrs(chainAttrs, { table, name: chain })]);
    let replies;
    try {
      replies = this.sock.request(nftType(NFT_MSG.GETCHAIN), 0, [body], `nftables: get chain ${family} ${table} ${chain}`);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENOENT) return undefined;
      throw e;
    }
    for (const m of replies) {
      if (m.type !== nftType(NFT_MSG.NEWCHAIN)) continue;
      const use = decodeAttrs(chainInfoAttrs, m.payload, 4).use;
      if (use !== undefined) return use;
    }
    throw new NetlinkError(71, `nftables: no use count in the answer for chain ${family} ${table} ${chain}`);
  }

  /** The ruleset generation (changes with every committed transaction). */
  generation(): number {
    const [m] = this.sock.request(nftType(NFT_MSG.GETGEN), 0, [nfgen(0)], 'nftables: get generation');
    const id = m ? decodeAttrs(genAttrs, m.payload, 4).id : undefined;
    if (id === undefined) throw new NetlinkError(71, 'nftables: no generation in the answer');
    return id;
  }
}

export const isNftMissing = (e: unknown, blame?: 'table' | 'set' | 'element'): e is NftMissingError =>
  e instanceof NftMissingError && (blame === undefined || e.blame === blame);
