// Who owns what in table inet tscni_firewall, and what a DEL or GC may remove. Pure: takes the
// listed elements, returns the nft lines.
//
// Owned sets hold one element per attachment, commented with its owner tag
// "<net>/<containerID>/<ifname>"; their keys carry the owner's fingerprint (own*) or the
// attachment's own address and bridge (policy sets), so two owners never share an element.
// Derived sets are what the rules match on (an address, a bridge); several owners may need the
// same key (one address on two networks, two containers on one bridge), so a derived element goes
// only when no remaining owned element refers to it. Its comment names one current owner.
import { CniError, ErrorCode } from '../../cni/error';

type Kind = 'addr' | 'mark' | 'ifname';

/** Key layout of every set of the table. */
export const SET_KINDS: Record<string, Kind[]> = {
  own4: ['addr', 'mark'],
  own6: ['addr', 'mark'],
  own_br: ['ifname', 'mark'],
  isolated4: ['addr', 'ifname'],
  isolated6: ['addr', 'ifname'],
  samebr4: ['addr', 'ifname'],
  samebr6: ['addr', 'ifname'],
  samebr_ok4: ['addr', 'ifname', 'ifname'],
  samebr_ok6: ['addr', 'ifname', 'ifname'],
  ctr4: ['addr'],
  ctr6: ['addr'],
  ctr_br: ['ifname'],
  policy_br: ['ifname'],
  iso_br: ['ifname'],
  icc_br: ['ifname', 'ifname'],
};

/** Derived set ← the owned sets that refer to its keys, and which key part they refer with. */
const DERIVED: Record<string, { from: string; part: number }[]> = {
  ctr4: [{ from: 'own4', part: 0 }],
  ctr6: [{ from: 'own6', part: 0 }],
  ctr_br: [{ from: 'own_br', part: 0 }],
  policy_br: ['isolated4', 'isolated6', 'samebr4', 'samebr6'].map((from) => ({ from, part: 1 })),
};

const OWNED = new Set(Object.values(DERIVED).flatMap((d) => d.map((s) => s.from)).concat(['samebr_ok4', 'samebr_ok6']));

export interface Entry {
  set: string;
  parts: string[];
  comment?: string;
}

const partText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));

/** The elements of our sets in `nft -j list table inet tscni_firewall` output. */
export function entriesOf(objects: any[]): Entry[] {
  const out: Entry[] = [];
  for (const o of objects) {
    const s = o.set;
    if (!s || !SET_KINDS[s.name] || !Array.isArray(s.elem)) continue;
    for (const e of s.elem) {
      const wrapped = e && typeof e === 'object' && 'elem' in e;
      const val = wrapped ? e.elem.val : e;
      const parts = val && typeof val === 'object' && 'concat' in val ? (val.concat as unknown[]).map(partText) : [partText(val)];
      out.push({ set: s.name, parts, comment: wrapped ? e.elem.comment : undefined });
    }
  }
  return out;
}

/** nft ifname literal; names come from prevResult or our own listing, so refuse anything odd. */
export function ifnameLit(name: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid interface name "${name}" in prevResult.interfaces`);
  return `"${name}"`;
}

/** The element as nft syntax (key only). */
export function keyText(set: string, parts: string[]): string {
  const kinds = SET_KINDS[set]!;
  return parts.map((p, i) => (kinds[i] === 'ifname' ? ifnameLit(p) : p)).join(' . ');
}

const sameKey = (a: Entry, set: string, parts: string[]): boolean => a.set === set && a.parts.length === parts.length && a.parts.every((p, i) => p === parts[i]);

/**
 * The lines (for table `table`) that remove the elements of every owner `isMine` accepts, and the
 * derived elements no other owner refers to any more. Nothing another owner holds is touched.
 */
export function releaseLines(table: string, entries: Entry[], isMine: (comment: string) => boolean): string[] {
  const mine = (e: Entry): boolean => e.comment !== undefined && isMine(e.comment);
  const owned = entries.filter((e) => OWNED.has(e.set));
  const gone = owned.filter(mine);
  const staying = owned.filter((e) => !mine(e));
  const lines = gone.map((e) => `delete element ${table} ${e.set} { ${keyText(e.set, e.parts)} }`);
  for (const [set, sources] of Object.entries(DERIVED)) {
    const refs = (from: Entry[], key: string): Entry[] => from.filter((e) => sources.some((s) => s.from === e.set && e.parts[s.part] === key));
    for (const d of entries.filter((e) => e.set === set)) {
      const key = d.parts[0]!;
      // Legacy tables (before owned sets) tagged the derived element itself with its owner.
      if (!refs(gone, key).length && !mine(d)) continue;
      const holders = refs(staying, key);
      const k = keyText(set, d.parts);
      if (!holders.length) lines.push(`delete element ${table} ${set} { ${k} }`);
      else if (mine(d)) lines.push(`delete element ${table} ${set} { ${k} }`, `add element ${table} ${set} { ${k} comment "${holders[0]!.comment}" }`);
    }
  }
  // The per-bridge sets of builds before per-attachment policies serve the attachments those
  // builds added (address elements with their owner and no owned element); they go with the last.
  const legacyLeft = entries.some((e) => (e.set === 'ctr4' || e.set === 'ctr6') && e.comment !== undefined && !mine(e) && !owned.some((o) => o.comment === e.comment));
  if (!legacyLeft && (gone.length || entries.some((e) => (e.set === 'ctr4' || e.set === 'ctr6') && mine(e)))) {
    for (const e of entries.filter((x) => x.set === 'iso_br' || x.set === 'icc_br')) lines.push(`delete element ${table} ${e.set} { ${keyText(e.set, e.parts)} }`);
  }
  return lines;
}

/** Elements owned by exactly this tag (what CHECK expects to find). */
export function ownedBy(entries: Entry[], tag: string): Entry[] {
  return entries.filter((e) => OWNED.has(e.set) && e.comment === tag);
}

export function hasKey(entries: Entry[], set: string, parts: string[]): boolean {
  return entries.some((e) => sameKey(e, set, parts));
}
