// nftables portmap, the per-container part: every published port is an element tagged with its
// owner (see portmap-rules.ts for the table). The rules are fixed, so ADD and DEL are element
// changes in one transaction and packet cost does not grow with the number of containers. A
// marker element (set cfg) fingerprints the entry rules' conditions: ADD asserts it first
// (delete+add fails when absent) and only a missing table or changed conditions pay for rebuilding
// the rules. DEL and GC remove an element only when its comment names an owner they may remove;
// index.ts runs every call under the host-wide firewall lock, so look-up and delete are one step.
// Attachments of a build before layout 2 have their masquerade keys in the interval sets masq<f>:
// never added to any more, but DEL, GC and CHECK find an owner's elements there too.
import type { Attachment } from '../../cni/owner';
import { CniError, ErrorCode } from '../../cni/error';
import { belongsToNetwork, ownerTag, tagAttachment } from '../names';
import { describeForward, type PortForward, type PortmapRemoval, type PortmapTarget } from '../portmap-types';
import { changeElements, viewElements, type ElementChange, type ElementView, type ListedElement } from './elements';
import { nftListJson } from './run';
import { NFT_SETS } from './sets';
import {
  PORTMAP_TABLE,
  conditionsFingerprint,
  SUBS_SET,
  keyOf,
  legacyMasqElements,
  mapOf,
  masqElements,
  setupScript,
  subSet,
  subsLength,
  spareForward,
  spareKey,
  spareSet,
  spareSetsScript,
  valueOf,
} from './portmap-rules';

const retag = (set: string, key: string, value: string | undefined, comment: string): ElementChange[] => [
  // add (EEXIST when another key holder maps it elsewhere), then re-add under our tag so the
  // comment always names the current owner (a leftover's owner must not be able to DEL it).
  { op: 'add', el: { set, key, value } },
  { op: 'delete', el: { set, key } },
  { op: 'add', el: { set, key, value, comment } },
];

function addChanges(t: PortmapTarget, tag: string, spare: ReadonlySet<PortForward>): ElementChange[] {
  const out: ElementChange[] = [];
  for (const f of t.forwards) {
    if (spare.has(f)) out.push(...retag(spareSet(f.family), spareKey(f), undefined, tag));
    else out.push(...retag(mapOf(f), keyOf(f), valueOf(f), tag));
  }
  if (t.snat) for (const a of t.addrs) for (const e of masqElements(a, t.masqAll)) out.push(...retag(e.set, e.key, undefined, tag));
  return out;
}

/**
 * After an EEXIST: the forwards whose host port this container already publishes on another
 * attachment (they become spares: first publication wins, as with the reference), or the
 * error for a port another container holds (code 112).
 */
function classifyConflicts(t: PortmapTarget, tag: string, stderr: string): Set<PortForward> {
  const held = viewElements(PORTMAP_TABLE).lookup(t.forwards.map((f) => ({ set: mapOf(f), key: keyOf(f) })));
  const spare = new Set<PortForward>();
  for (const f of t.forwards) {
    const e = held.find((x) => x.set === mapOf(f) && x.key === keyOf(f));
    if (!e || e.value === valueOf(f)) continue;
    const holder = e.comment ? tagAttachment(e.comment) : undefined;
    if (e.comment !== tag && holder?.containerId === t.containerId) {
      spare.add(f);
      continue;
    }
    const who = e.comment === tag ? 'this container (with another address)' : `"${e.comment ?? 'unknown owner'}"`;
    throw new CniError(ErrorCode.PortConflict, `host port ${describeForward(f)} is already published by ${who}`, `it forwards to ${e.value}`);
  }
  if (!spare.size) throw new CniError(ErrorCode.Internal, 'nftables: portmap elements could not be added', stderr.trim());
  return spare;
}

/** The prefix lengths that have a hairpin set (read from `subs`, a handful of elements). */
function hairpinLengths(view: ElementView) {
  return view.all([SUBS_SET]).flatMap((e) => subsLength(e.key) ?? []);
}

/** Every set of the table: the fixed ones and the hairpin set of each length in use. */
function tableSets(view: ElementView): string[] {
  return [...Object.keys(NFT_SETS[PORTMAP_TABLE]!), ...hairpinLengths(view).map(subSet)];
}

export function nftPortmapAdd(t: PortmapTarget): void {
  const fp = conditionsFingerprint(t.conditionsV4, t.conditionsV6);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  // The marker assertion is first: a missing table or changed conditions fail fast with ENOENT.
  const marker: ElementChange[] = [
    { op: 'delete', el: { set: 'cfg', key: fp } },
    { op: 'add', el: { set: 'cfg', key: fp } },
  ];
  let spare = new Set<PortForward>();
  let r = changeElements(PORTMAP_TABLE, [...marker, ...addChanges(t, tag, spare)]);
  // 'missing': no table, other conditions, an older layout, or a prefix length without its
  // hairpin set yet. The rebuild names every length in use, since it flushes the chains.
  if (r.outcome === 'missing') r = changeElements(PORTMAP_TABLE, addChanges(t, tag, spare), setupScript(t, fp, hairpinLengths(viewElements(PORTMAP_TABLE))));
  if (r.outcome === 'exists') {
    spare = classifyConflicts(t, tag, r.stderr);
    r = changeElements(PORTMAP_TABLE, addChanges(t, tag, spare), spareSetsScript());
    if (r.outcome === 'exists') classifyConflicts(t, tag, r.stderr);
  }
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: portmap setup failed', r.stderr.trim());
}

const isForwardMap = (set: string): boolean => /^h?dnat[46]$/.test(set);

/**
 * Deletes `doomed` in one transaction. A forward that goes while its container still publishes
 * the same port on another live attachment moves there: the first such spare becomes the forward.
 */
function removeWithHandover(view: ElementView, doomed: ListedElement[], live: (tag: string) => boolean): void {
  if (!doomed.length) return;
  const changes: ElementChange[] = doomed.map((e) => ({ op: 'delete', el: e }));
  const used = new Set(doomed.map((e) => `${e.set}|${e.key}`));
  for (const e of doomed) {
    const holder = e.comment ? tagAttachment(e.comment) : undefined;
    if (!isForwardMap(e.set) || !holder) continue;
    const heir = view.all(['spare4', 'spare6']).find((s) => {
      const sf = spareForward(s.set, s.key);
      return !used.has(`${s.set}|${s.key}`) && s.comment !== undefined && live(s.comment) && tagAttachment(s.comment)?.containerId === holder.containerId && sf?.map === e.set && sf.key === e.key;
    });
    if (!heir) continue;
    used.add(`${heir.set}|${heir.key}`);
    changes.push({ op: 'delete', el: heir }, { op: 'add', el: { set: e.set, key: e.key, value: spareForward(heir.set, heir.key)!.value, comment: heir.comment } });
  }
  const r = changeElements(PORTMAP_TABLE, changes);
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: portmap teardown failed', r.stderr.trim());
}

const has = (found: readonly ListedElement[], k: { set: string; key: string }): boolean => found.some((e) => e.set === k.set && e.key === k.key);

/** Idempotent. Only elements whose comment is this owner's tag go, whatever the mappings say. */
export function nftPortmapDel(t: PortmapRemoval): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const view = viewElements(PORTMAP_TABLE);
  let mine: ListedElement[] = [];
  if (t.forwards?.length) {
    // The mappings only narrow the look-up; when they do not find all of ours (mappings that
    // changed since ADD), the owner's elements are found by listing.
    const snat = t.snat !== false;
    const addrs = snat ? (t.addrs ?? []) : [];
    const fwd = t.forwards.map((f) => ({ set: mapOf(f), key: keyOf(f) }));
    const spares = t.forwards.map((f) => ({ set: spareSet(f.family), key: spareKey(f) }));
    const masq = addrs.flatMap((a) => masqElements(a, t.masqAll ?? false));
    mine = view.lookup([...fwd, ...spares, ...masq]).filter((e) => e.comment === tag);
    // An attachment of a build before layout 2: its masquerade keys are in the interval sets.
    // Looked up only then, so a DEL of this build's attachments never reads them.
    if (!masq.every((k) => has(mine, k))) {
      const legacy = addrs.flatMap((a) => legacyMasqElements(a, t.masqAll ?? false));
      const old = view.lookup(legacy).filter((e) => e.comment === tag);
      mine = legacy.every((k) => has(old, k)) ? [...mine, ...old] : [];
    }
    if (!fwd.every((k, i) => has(mine, k) || has(mine, spares[i]!))) mine = [];
  }
  if (!mine.length) mine = view.all(tableSets(view)).filter((e) => e.comment === tag);
  removeWithHandover(view, mine, (c) => c !== tag);
}

export function nftPortmapCheck(t: PortmapTarget): void {
  const objs = nftListJson(['table', 'inet', PORTMAP_TABLE]);
  if (!objs.length) throw new CniError(ErrorCode.Internal, `portmap: table inet ${PORTMAP_TABLE} is missing`);
  const view = viewElements(PORTMAP_TABLE);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const f of t.forwards) {
    const [e] = view.lookup([{ set: mapOf(f), key: keyOf(f) }]);
    if (e && e.value === valueOf(f) && e.comment === tag) continue;
    // A second publication by the same container waits as a spare behind the first one.
    const [s] = view.lookup([{ set: spareSet(f.family), key: spareKey(f) }]);
    if (s && s.comment === tag && e && tagAttachment(e.comment ?? '')?.containerId === t.containerId) continue;
    if (!e) throw new CniError(ErrorCode.Internal, `portmap: no forwarding for ${describeForward(f)}`);
    throw new CniError(ErrorCode.Internal, `portmap: ${describeForward(f)} forwards to ${e.value} for "${e.comment}", expected ${valueOf(f)} for "${tag}"`);
  }
  if (t.snat) {
    for (const a of t.addrs) {
      const want = masqElements(a, t.masqAll);
      if (view.lookup(want).length === want.length) continue;
      // added by a build before layout 2
      const legacy = legacyMasqElements(a, t.masqAll);
      if (view.lookup(legacy).length === legacy.length) continue;
      const absent = want.find((m) => !view.lookup([m]).length) ?? want[0]!;
      throw new CniError(ErrorCode.Internal, `portmap: masquerade entry "${absent.key}" is missing from ${absent.set}`);
    }
  }
}

export function nftPortmapGc(network: string, valid: readonly Attachment[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerId, v.ifname)));
  const view = viewElements(PORTMAP_TABLE);
  const stale = view.all(tableSets(view)).filter((e) => e.comment !== undefined && belongsToNetwork(e.comment, network) && !keep.has(e.comment));
  const staleTags = new Set(stale.map((e) => e.comment));
  removeWithHandover(view, stale, (c) => !staleTags.has(c));
}

export { PORTMAP_TABLE };
