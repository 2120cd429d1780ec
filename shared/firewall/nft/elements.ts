// The per-container operations of the nftables backend: add, delete and look up set/map elements
// with their owner comment, batched into one transaction. Everything a per-container ADD, DEL,
// CHECK or GC changes goes through here; tables, chains, maps and rules (once per host or
// network) are written as nft scripts by the callers. Owner: the firewall layer (shared/firewall).
// Each operation goes over netlink first (netlink-elements.ts: no process, ~0.1 ms instead of an
// `nft` run of ~20 ms); when that path cannot answer (no netlink access to nf_tables, logged, or
// a set it has no layout for) the same operation is done with nft.
import { netlinkChainUse, netlinkChange, netlinkList, netlinkLookup } from './netlink-elements';
import { listedElements, nftApply, nftListJson, quote, type ListedElement, type NftApplied } from './run';

export type { ListedElement } from './run';

/** One element of one set or map of an `inet` table. */
export interface Element {
  set: string;
  /** nft syntax, e.g. "tcp . 8080" or "10.88.0.2". */
  key: string;
  /** Maps only: the data, e.g. "10.88.0.2 . 80" or "goto n_…". */
  value?: string;
  comment?: string;
}

/**
 * add: a no-op when the same key maps to the same value, EEXIST when it maps elsewhere;
 * delete: ENOENT when absent. A failure aborts the whole batch (nothing changed).
 */
export type ElementChange =
  | { op: 'add' | 'delete'; el: Element }
  /** A per-network chain that goes with its last element: EBUSY ('busy') while still referenced. */
  | { op: 'delete-chain'; chain: string };

function render(table: string, c: ElementChange): string {
  if (c.op === 'delete-chain') return `delete chain inet ${table} ${c.chain}`;
  const e = c.el;
  const comment = c.op === 'add' && e.comment !== undefined ? ` comment ${quote(e.comment)}` : '';
  const value = c.op === 'add' && e.value !== undefined ? ` : ${e.value}` : '';
  return `${c.op} element inet ${table} ${e.set} { ${e.key}${comment}${value} }`;
}

/**
 * Applies the changes atomically, after `setup` (an nft script creating what they need) when
 * given. Outcome 'missing' = a table/set/chain is not there (or a deleted element was absent),
 * 'exists' = an add met a different value, 'busy' = a chain is still referenced.
 */
export function changeElements(table: string, changes: ElementChange[], setup?: string): NftApplied {
  if (!changes.length && !setup) return { outcome: 'ok', stderr: '' };
  // With a setup script (first use of a table or a chain: once per host or network) the whole
  // transaction is nft's, so what is created and what uses it commit together.
  if (!setup) {
    const r = netlinkChange(table, changes);
    if (r) return r;
  }
  const lines = changes.map((c) => render(table, c));
  if (setup) lines.unshift(setup);
  return nftApply(lines.join('\n'));
}

/** The elements present for these keys (with value and owner comment); absent ones are left out. */
export function lookupElements(table: string, wanted: readonly { set: string; key: string }[]): ListedElement[] {
  return wanted.length ? viewElements(table).lookup(wanted) : [];
}

/**
 * What one call reads of a table: keys looked up, and whole (small) sets. Over netlink a lookup
 * is one GET per key and a set is one dump; with `nft` both come from one listing made on first use.
 */
export interface ElementView {
  lookup(wanted: readonly { set: string; key: string }[]): ListedElement[];
  /** Every element of these sets (or of the table). */
  all(sets?: readonly string[]): ListedElement[];
  /** The whole table when a listing was already made for this view (free to consult), else undefined. */
  listed(): ListedElement[] | undefined;
}

export function viewElements(table: string): ElementView {
  let listed: ListedElement[] | undefined;
  const get = (): ListedElement[] => (listed ??= listedElements(nftListJson(['table', 'inet', table])));
  const bySet = new Map<string, ListedElement[]>();
  return {
    lookup: (wanted) => (wanted.length ? netlinkLookup(table, wanted) : []) ?? get().filter((e) => wanted.some((w) => w.set === e.set && w.key === e.key)),
    all: (sets) => {
      const key = sets?.join(',') ?? '';
      const hit = bySet.get(key);
      if (hit) return hit;
      const els = netlinkList(table, sets) ?? get().filter((e) => !sets || sets.includes(e.set));
      bySet.set(key, els);
      return els;
    },
    listed: () => listed,
  };
}

/** Every element of the table's sets and maps (DEL without addresses, GC, conflict reports). */
export function listElements(table: string): ListedElement[] {
  return netlinkList(table) ?? listedElements(nftListJson(['table', 'inet', table]));
}

/**
 * Each chain's use count (rules in it plus jumps and gotos to it); a missing chain is left out.
 * Undefined when only nft could answer (it does not print use counts): the caller then lets the
 * kernel decide (a delete of a referenced chain fails with EBUSY).
 */
export function chainUses(table: string, chains: readonly string[]): Map<string, number> | undefined {
  return chains.length ? netlinkChainUse(table, chains) : new Map();
}
