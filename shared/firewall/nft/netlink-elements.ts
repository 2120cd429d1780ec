// The per-container element operations over a NETLINK_NETFILTER socket (shared/netlink/nftables)
// instead of one `nft` process each (~20 ms: process start, libnftables init, ruleset cache).
// Callers keep speaking nft syntax ("tcp . 8080", "10.88.0.2 . 80", "goto n_…"): keys and values
// are parsed with the set types of sets.ts and rendered back the way `nft -j list` shows them,
// so both paths return the same ListedElement for the same kernel state.
//
// Every function returns undefined when it cannot answer: netlink access to nf_tables failed
// (no socket, EPERM, an old kernel — logged once, then nft for the rest of the process), or a set
// or key this module does not know (logged). The caller then does the same thing with nft.
import fs from 'node:fs';
import { log } from '../../cni/log';
import { trace } from '../../cni/trace';
import { NetlinkError } from '../../netlink/error';
import {
  Nftables, NftExistsError, NftMissingError, addElements, delChain, delElements, type NftElement, type NftOp, type NftSet, type Verdict,
} from '../../netlink/nftables';
import type { ListedElement, NftApplied } from './run';
import { NFT_SETS, nftSetOf } from './sets';

/** An element in nft syntax, as the nftables backend writes it. */
export interface NftSyntaxElement {
  set: string;
  key: string;
  value?: string;
  comment?: string;
}

/** An element change, or the delete of a chain of the table (EBUSY while something jumps to it). */
export type NftSyntaxChange = { op: 'add' | 'delete'; el: NftSyntaxElement } | { op: 'delete-chain'; chain: string };

type Values = (string | number)[];

/** A key or value this module cannot translate: the call goes to nft instead. */
class Untranslatable extends Error {}

let session: { nft: Nftables; netns: number } | undefined;
let disabled: string | undefined;

function off(reason: string): undefined {
  disabled = reason;
  session?.nft.close();
  session = undefined;
  log(`nftables: per-container changes go through nft for this call: ${reason}`);
  return undefined;
}

/** The socket for the current netns (opened on first use, never at module load). */
function nftables(): Nftables | undefined {
  if (disabled !== undefined) return undefined;
  if (process.env.TSCNI_NFT_NETLINK === '0') return off('TSCNI_NFT_NETLINK=0');
  // A socket is bound to the netns it was opened in; the firewall works in the caller's netns.
  const netns = fs.statSync('/proc/thread-self/ns/net').ino;
  if (session?.netns === netns) return session.nft;
  session?.nft.close();
  try {
    session = { nft: Nftables.open(), netns };
  } catch (e) {
    return off(`cannot open a NETLINK_NETFILTER socket (${(e as Error).message})`);
  }
  return session.nft;
}

function parseValues(types: NftSet['key'], text: string, what: string): Values {
  const parts = text.split(' . ').map((p) => p.trim());
  if (parts.length !== types.length) throw new Untranslatable(`${what} "${text}" does not have ${types.length} components`);
  return parts.map((p, i) => {
    switch (types[i]) {
      case 'inet_service':
        if (/^\d+$/.test(p)) return Number(p);
        break;
      case 'inet_proto':
        return /^\d+$/.test(p) ? Number(p) : p;
      case 'mark':
        if (/^0x[0-9a-f]+$/i.test(p)) return Number.parseInt(p, 16);
        if (/^\d+$/.test(p)) return Number(p);
        break;
      case 'ifname':
        return p.replace(/^"(.*)"$/, '$1');
      default:
        return p;
    }
    throw new Untranslatable(`${what} "${text}": "${p}" is not a ${types[i]}`);
  });
}

function parseVerdict(text: string): Verdict {
  const m = /^(goto|jump) (\S+)$/.exec(text);
  if (m) return m[1] === 'goto' ? { goto: m[2]! } : { jump: m[2]! };
  if (text === 'accept' || text === 'drop' || text === 'return' || text === 'continue') return text;
  throw new Untranslatable(`verdict "${text}"`);
}

const renderVerdict = (v: Verdict): string => (typeof v === 'string' ? v : 'goto' in v ? `goto ${v.goto}` : `jump ${v.jump}`);
const renderValues = (v: readonly (string | number)[]): string => v.map(String).join(' . ');

function setOf(table: string, name: string): NftSet {
  const s = nftSetOf(table, name);
  if (!s) throw new Untranslatable(`no known layout for set ${name} of table ${table}`);
  return s;
}

function toElement(set: NftSet, el: NftSyntaxElement, withData: boolean): NftElement {
  const e: NftElement = { key: parseValues(set.key, el.key, 'key') };
  if (withData && el.value !== undefined) {
    if (set.data === undefined) throw new Untranslatable(`set ${el.set} is not a map`);
    e.value = set.data === 'verdict' ? parseVerdict(el.value) : (parseValues(set.data, el.value, 'value') as NftElement['value']);
  }
  if (withData && el.comment !== undefined) e.comment = el.comment;
  return e;
}

function listed(set: NftSet, e: NftElement): ListedElement {
  const out: ListedElement = { set: set.name, key: renderValues(e.key) };
  if (e.value !== undefined) out.value = set.data === 'verdict' ? renderVerdict(e.value as Verdict) : renderValues(e.value as Values);
  if (e.comment !== undefined) out.comment = e.comment;
  return out;
}

/** Runs fn with the socket; undefined (use nft) when netlink cannot do it. */
function attempt<T>(what: string, fn: (nft: Nftables) => T): T | undefined {
  const nft = nftables();
  if (!nft) return undefined;
  try {
    trace(`nftables netlink: ${what}`);
    const r = fn(nft);
    trace(`nftables netlink: ${what} done`);
    return r;
  } catch (e) {
    if (e instanceof Untranslatable) {
      log(`nftables: ${what} goes through nft: ${e.message}`);
      return undefined;
    }
    if (e instanceof NetlinkError) return off(`${what}: ${e.message}`);
    throw e;
  }
}

/**
 * Applies the changes in order as one transaction: 'exists' for an add that met another value,
 * 'missing' for a missing table/set/chain or an absent deleted element, 'busy' for a chain
 * something still jumps to — the outcomes nft gives.
 */
export function netlinkChange(table: string, changes: readonly NftSyntaxChange[]): NftApplied | undefined {
  return attempt(`element changes in ${table}`, (nft) => {
    const batch: NftOp[] = [];
    for (const c of changes) {
      if (c.op === 'delete-chain') {
        batch.push(delChain('inet', table, c.chain));
        continue;
      }
      const set = setOf(table, c.el.set);
      const el = toElement(set, c.el, c.op === 'add');
      const last = batch.at(-1);
      // Consecutive changes of one kind to one set share a message (the kernel applies its
      // elements in order, so this is the same transaction).
      if (last && last.op !== 'delchain' && last.set === set && last.op === (c.op === 'add' ? 'add' : 'del')) last.elements.push(el);
      else batch.push(c.op === 'add' ? addElements(set, [el]) : delElements(set, [el]));
    }
    try {
      nft.apply(batch);
      return { outcome: 'ok', stderr: '' } satisfies NftApplied;
    } catch (e) {
      if (e instanceof NftExistsError) return { outcome: 'exists', stderr: e.message } satisfies NftApplied;
      if (e instanceof NftMissingError) return { outcome: 'missing', stderr: e.message } satisfies NftApplied;
      if (e instanceof NetlinkError && e.code === 'EBUSY') return { outcome: 'busy', stderr: e.message } satisfies NftApplied;
      throw e;
    }
  });
}

/** The present elements among these keys, each with value and comment; one GET per key. */
export function netlinkLookup(table: string, wanted: readonly { set: string; key: string }[]): ListedElement[] | undefined {
  return attempt(`element lookup in ${table}`, (nft) => {
    const out: ListedElement[] = [];
    for (const w of wanted) {
      const set = setOf(table, w.set);
      const key = parseValues(set.key, w.key, 'key');
      let e: NftElement | undefined;
      try {
        e = nft.get(set, key);
      } catch (err) {
        if (err instanceof NftMissingError) continue; // table or set not there: nothing is
        throw err;
      }
      // In an interval set the kernel answers with the interval that contains the key: only the
      // exact element counts (as in a listing).
      if (e && renderValues(e.key) === renderValues(key)) out.push(listed(set, e));
    }
    return out;
  });
}

/** Every element of these sets of the table (all sets this module knows when none are given). */
export function netlinkList(table: string, sets?: readonly string[]): ListedElement[] | undefined {
  return attempt(`element listing of ${table}`, (nft) => {
    const names = sets ?? Object.keys(NFT_SETS[table] ?? {});
    if (!NFT_SETS[table]) throw new Untranslatable(`no known layout for table ${table}`);
    const out: ListedElement[] = [];
    for (const name of names) {
      const set = setOf(table, name);
      try {
        out.push(...nft.list(set).map((e) => listed(set, e)));
      } catch (err) {
        if (!(err instanceof NftMissingError)) throw err;
      }
    }
    return out;
  });
}

/** Each chain's use count (its rules plus what jumps to it); a missing chain is left out. */
export function netlinkChainUse(table: string, chains: readonly string[]): Map<string, number> | undefined {
  return attempt(`chain use counts in ${table}`, (nft) => {
    const out = new Map<string, number>();
    for (const c of chains) {
      const use = nft.chainUse('inet', table, c);
      if (use !== undefined) out.set(c, use);
    }
    return out;
  });
}

/** For tests: forget the socket and a fallback decision (a new "process"). */
export function resetNetlinkElements(): void {
  session?.nft.close();
  session = undefined;
  disabled = undefined;
}
