// nftables masquerade for bridge ipMasq. Per container: one element in a verdict map keyed by
// its address (comment = owner tag) that jumps to the chain of its (network, subnet); that chain
// holds the one rule "not to my subnet, not multicast: masquerade". ADD changes one map element;
// DEL removes the element only when its comment names the DEL's owner, and the subnet chain with
// the last element that jumps to it (the kernel refuses to delete a chain still referenced, so
// "last" needs no bookkeeping). index.ts runs every call under the host-wide firewall lock, so a
// parallel ADD cannot re-use the chain between our check and our delete.
import type { Attachment } from '../../cni/owner';
import { CniError, ErrorCode } from '../../cni/error';
import { parseCidr, subnetOf, type Cidr } from '../addr';
import type { MasqRemoval, MasqTarget } from '../masq-types';
import { belongsToNetwork, nftNetworkId, ownerTag } from '../names';
import { sha256Hex } from '../../sys/sha256';
import { chainUses, changeElements, listElements, lookupElements, viewElements, type Element, type ElementChange, type ListedElement } from './elements';
import { nftListJson, quote } from './run';

export const MASQ_TABLE = 'tscni_masq';
const T = `inet ${MASQ_TABLE}`;
const srcMap = (f: 4 | 6): string => `src${f}`;
/** The chain of one subnet of one network: named from both so two networks never share it. */
const subnetChain = (net: string, subnet: string): string => `${nftNetworkId(net)}_${sha256Hex(subnet).slice(0, 8)}`;
const isSrcMap = (set: string): boolean => set === 'src4' || set === 'src6';

function parseIps(ips: string[], field = 'ips'): Cidr[] {
  return ips.map((s, i) => {
    const c = parseCidr(s);
    if (!c) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address "${s}" in ${field}[${i}]`, 'expected address/prefix');
    return c;
  });
}

/** A subnet chain's rules (setupScript): the rest of its use count are the elements jumping to it. */
const SUBNET_CHAIN_RULES = 1;

export function setupScript(network: string, ips: Cidr[]): string {
  const lines = [
    `add table ${T} { comment "tscni bridge ipMasq: owned by tscni, managed per container; do not edit"; }`,
    `add map ${T} src4 { type ipv4_addr : verdict; comment "container address -> the masquerade chain of its network and subnet"; }`,
    `add map ${T} src6 { type ipv6_addr : verdict; comment "container address -> the masquerade chain of its network and subnet"; }`,
    `add chain ${T} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${T} postrouting`,
    `add rule ${T} postrouting ip saddr vmap @src4`,
    `add rule ${T} postrouting ip6 saddr vmap @src6`,
  ];
  for (const c of ips) {
    const subnet = subnetOf(c);
    const chain = subnetChain(network, subnet);
    const ip = c.family === 4 ? 'ip' : 'ip6';
    const mcast = c.family === 4 ? '224.0.0.0/4' : 'ff00::/8';
    lines.push(
      `add chain ${T} ${chain} { comment ${quote(`masquerade for network ${network}, subnet ${subnet}`.slice(0, 120))}; }`,
      `flush chain ${T} ${chain}`,
      `add rule ${T} ${chain} ${ip} daddr != ${subnet} ${ip} daddr != ${mcast} masquerade`,
    );
  }
  return lines.join('\n');
}

const entry = (t: MasqTarget, c: Cidr): Element => ({
  set: srcMap(c.family),
  key: c.ip,
  value: `goto ${subnetChain(t.network, subnetOf(c))}`,
  comment: ownerTag(t.network, t.containerId, t.ifname),
});

export function nftMasqAdd(t: MasqTarget): void {
  const ips = parseIps(t.ips);
  if (!ips.length) return;
  // add (EEXIST when the address jumps elsewhere: another network holds it), then delete and
  // re-add under our tag: a leftover of an earlier holder of this address must not keep its
  // comment, or that holder's late DEL would take our entry for its own.
  const changes = ips.flatMap((c) => {
    const e = entry(t, c);
    return [
      { op: 'add' as const, el: { ...e, comment: undefined } },
      { op: 'delete' as const, el: e },
      { op: 'add' as const, el: e },
    ];
  });
  let r = changeElements(MASQ_TABLE, changes);
  // ENOENT: the table or this subnet's chain is not there yet (first container, or the network's
  // last container took the chain with it).
  if (r.outcome === 'missing') r = changeElements(MASQ_TABLE, changes, setupScript(t.network, ips));
  if (r.outcome === 'exists') {
    const held = lookupElements(MASQ_TABLE, ips.map((c) => ({ set: srcMap(c.family), key: c.ip })));
    const clash = held.find((e) => e.comment !== undefined);
    throw new CniError(
      ErrorCode.AddressConflict,
      `masquerade: address ${clash?.key ?? ips.map((c) => c.ip).join(',')} is already masqueraded for another network`,
      clash?.comment ? `owner: ${clash.comment}` : r.stderr.trim(),
    );
  }
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: masquerade setup failed', r.stderr.trim());
}

/**
 * Deletes these elements, and each subnet chain they jump to when no other element still does.
 * Which chains are left without elements: the table's listing tells when it is at hand, else each
 * chain's use count (one GET each; the subnet chain holds SUBNET_CHAIN_RULES rules, the rest of
 * its count are elements jumping to it). Only when neither can answer are the chains deleted in
 * the same transaction for the kernel to refuse with EBUSY (another container of that subnet is
 * left), and the elements sent alone: a refused transaction costs ~10 ms to abort.
 */
function removeOwned(els: ListedElement[], listing: ListedElement[] | undefined): void {
  if (!els.length) return;
  const changes: ElementChange[] = els.map((e) => ({ op: 'delete', el: e }));
  const going = new Set(els.map((e) => `${e.set}|${e.key}`));
  let chains = [...new Set(els.map((e) => e.value).filter((v): v is string => v?.startsWith('goto ') === true))].map((v) => v.slice(5));
  if (listing) chains = chains.filter((c) => !listing.some((e) => e.value === `goto ${c}` && !going.has(`${e.set}|${e.key}`)));
  else {
    const uses = chainUses(MASQ_TABLE, chains);
    if (uses) chains = chains.filter((c) => uses.has(c) && uses.get(c)! - els.filter((e) => e.value === `goto ${c}`).length <= SUBNET_CHAIN_RULES);
  }
  let r = changeElements(MASQ_TABLE, [...changes, ...chains.map((chain) => ({ op: 'delete-chain' as const, chain }))]);
  if (r.outcome === 'busy') {
    r = changeElements(MASQ_TABLE, changes);
    // Some chain may still be free (two subnets, one of them now empty): try each alone.
    if (r.outcome === 'ok' && chains.length > 1) for (const chain of chains) changeElements(MASQ_TABLE, [{ op: 'delete-chain', chain }]);
  }
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: masquerade teardown failed', r.stderr.trim());
}

/** Idempotent. Only elements whose comment is this owner's tag go, whatever the addresses say. */
export function nftMasqDel(t: MasqRemoval): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const ips = t.ips?.length ? parseIps(t.ips) : [];
  // The addresses only narrow the lookup; with none (or none of ours under them: an address
  // list that is not the one ADD saw), the owner's elements are found by listing.
  const view = viewElements(MASQ_TABLE);
  let mine = ips.length ? view.lookup(ips.map((c) => ({ set: srcMap(c.family), key: c.ip }))).filter((e) => e.comment === tag) : [];
  if (!mine.length) mine = view.all(['src4', 'src6']).filter((e) => e.comment === tag);
  removeOwned(mine, view.listed());
}

/** Which of these chains exist: their use counts over netlink, else one `nft` listing of the table. */
function existingChains(chains: string[]): Set<string> {
  const uses = chainUses(MASQ_TABLE, chains);
  if (uses) return new Set(uses.keys());
  const objs = nftListJson(['table', 'inet', MASQ_TABLE]);
  return new Set(objs.flatMap((o) => (o.chain?.name ? [o.chain.name] : [])));
}

export function nftMasqCheck(t: MasqTarget): void {
  const ips = parseIps(t.ips);
  const chains = existingChains(ips.map((c) => subnetChain(t.network, subnetOf(c))));
  const els = lookupElements(MASQ_TABLE, ips.map((c) => ({ set: srcMap(c.family), key: c.ip })));
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const c of ips) {
    const n = subnetChain(t.network, subnetOf(c));
    // (a missing table shows as its chains missing)
    if (!chains.has(n)) throw new CniError(ErrorCode.Internal, `masquerade: chain ${n} for network "${t.network}", subnet ${subnetOf(c)} is missing`);
    const e = els.find((x) => x.set === srcMap(c.family) && x.key === c.ip);
    if (!e || e.value !== `goto ${n}`) throw new CniError(ErrorCode.Internal, `masquerade: no masquerade entry for ${c.ip} on network "${t.network}"`);
    if (e.comment !== tag) throw new CniError(ErrorCode.Internal, `masquerade: entry for ${c.ip} belongs to "${e.comment}", not to ${tag}`);
  }
}

export function nftMasqGc(network: string, valid: readonly Attachment[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerId, v.ifname)));
  const listing = listElements(MASQ_TABLE);
  const stale = listing.filter((e) => isSrcMap(e.set) && e.comment !== undefined && belongsToNetwork(e.comment, network) && !keep.has(e.comment));
  removeOwned(stale, listing);
  // Chains of this network that nothing jumps to any more (e.g. left by a build before this one).
  const prefix = `${nftNetworkId(network)}_`;
  for (const o of nftListJson(['table', 'inet', MASQ_TABLE])) {
    if (o.chain?.name?.startsWith(prefix)) changeElements(MASQ_TABLE, [{ op: 'delete-chain', chain: o.chain.name }]);
  }
}
