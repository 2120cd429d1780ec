// nftables layout of the firewall plugin: table inet tscni_firewall.
//   own4/own6     address . fingerprint(owner), one per attachment address   (owned: comment = owner)
//   own_br        bridge . fingerprint(owner), one per attachment on a bridge (owned)
//   isolated4/6   address . bridge of an attachment with ingressPolicy isolated    (owned)
//   samebr4/6     address . bridge of an attachment with ingressPolicy same-bridge (owned)
//   samebr_ok4/6  address . bridge . bridge: what such an attachment accepts from  (owned)
//   ctr4/ctr6     addresses with at least one attachment: the accepts match these (derived)
//   ctr_br        bridges with at least one attachment                            (derived)
//   policy_br     bridges with at least one same-bridge or isolated attachment    (derived)
//   chain forward    filter hook, policy accept: jump isolation, jump admin, then the accepts
//   chain isolation  the ingress policy of each attachment, keyed by its own address and bridge
//   chain admin      the operator's; created empty, never flushed or edited by us
// The policy is the receiving attachment's: `isolated` takes nothing forwarded from a container
// bridge (replies to its own attempts included), `same-bridge` takes new connections from its own
// bridge and from bridges without same-bridge/isolated attachments. A neighbour's ADD/DEL adds or
// removes only that neighbour's elements, so it cannot change a live container's policy.
// A drop here is final for the packet; an accept is final only for this table (see forward.ts).
// Every change runs under the firewall layer's host-wide lock (../lock.ts, re-entrant); DEL/GC
// list the table and remove only the elements their owner holds (forward-owners.ts), whatever
// prevResult says.
import { CniError, ErrorCode } from '../../cni/error';
import type { Cidr } from '../addr';
import { parseForwardIps, type ForwardRemoval, type ForwardTarget } from '../forward-types';
import { withFirewallLock } from '../lock';
import { belongsToNetwork, fingerprint32, ownerTag } from '../names';
import { entriesOf, hasKey, ifnameLit, keyText, ownedBy, releaseLines, type Entry } from './forward-owners';
import { nftApply, nftApplyOrThrow, nftListJson, quote } from './run';

export const FIREWALL_TABLE = 'tscni_firewall';
const T = `inet ${FIREWALL_TABLE}`;

/** The rules of forward and isolation, in order (also what CHECK expects to find). */
export const FORWARD_RULES = [
  'jump isolation',
  'jump admin',
  'ip daddr @ctr4 ct state established,related accept',
  'ip daddr @ctr4 ct status dnat accept',
  'ip saddr @ctr4 accept',
  'ip6 daddr @ctr6 ct state established,related accept',
  'ip6 daddr @ctr6 ct status dnat accept',
  'ip6 saddr @ctr6 accept',
];
export const ISOLATION_RULES = [
  'ip daddr . oifname @isolated4 iifname @ctr_br drop',
  'ip6 daddr . oifname @isolated6 iifname @ctr_br drop',
  'ct state established,related return',
  'ip daddr . oifname . iifname @samebr_ok4 return',
  'ip6 daddr . oifname . iifname @samebr_ok6 return',
  'ip daddr . oifname @samebr4 iifname @policy_br drop',
  'ip6 daddr . oifname @samebr6 iifname @policy_br drop',
  // Per-bridge state of builds before per-attachment policies (empty on a fresh host): it keeps
  // protecting containers added before an upgrade in place, and goes with the last of them.
  'iifname . oifname @icc_br return',
  'iifname @iso_br oifname @iso_br drop',
];

const SETS: [string, string, string][] = [
  ['own4', 'ipv4_addr . mark', 'address . owner fingerprint (comment = net/container/ifname)'],
  ['own6', 'ipv6_addr . mark', 'address . owner fingerprint (comment = net/container/ifname)'],
  ['own_br', 'ifname . mark', 'bridge . owner fingerprint (comment = net/container/ifname)'],
  ['isolated4', 'ipv4_addr . ifname', 'address . bridge of an isolated attachment'],
  ['isolated6', 'ipv6_addr . ifname', 'address . bridge of an isolated attachment'],
  ['samebr4', 'ipv4_addr . ifname', 'address . bridge of a same-bridge attachment'],
  ['samebr6', 'ipv6_addr . ifname', 'address . bridge of a same-bridge attachment'],
  ['samebr_ok4', 'ipv4_addr . ifname . ifname', 'address . bridge . bridge: a same-bridge attachment accepts its bridge'],
  ['samebr_ok6', 'ipv6_addr . ifname . ifname', 'address . bridge . bridge: a same-bridge attachment accepts its bridge'],
  ['ctr4', 'ipv4_addr', 'container addresses (comment = one owner)'],
  ['ctr6', 'ipv6_addr', 'container addresses (comment = one owner)'],
  ['ctr_br', 'ifname', 'bridges with container attachments'],
  ['policy_br', 'ifname', 'bridges with same-bridge or isolated attachments'],
  ['iso_br', 'ifname', 'legacy (per bridge, before per-attachment policies): emptied with the last legacy entry'],
  ['icc_br', 'ifname . ifname', 'legacy (per bridge, before per-attachment policies): emptied with the last legacy entry'],
];

export function setupScript(): string {
  return [
    `add table ${T} { comment "tscni firewall plugin: forwarding for container addresses; owned by tscni, managed per container"; }`,
    ...SETS.map(([name, type, comment]) => `add set ${T} ${name} { type ${type}; comment "${comment}"; }`),
    `add chain ${T} admin { comment "operator rules, evaluated before the container accepts; tscni never edits this chain"; }`,
    `add chain ${T} isolation`,
    `flush chain ${T} isolation`,
    ...ISOLATION_RULES.map((r) => `add rule ${T} isolation ${r}`),
    `add chain ${T} forward { type filter hook forward priority filter; policy accept; }`,
    `flush chain ${T} forward`,
    ...FORWARD_RULES.map((r) => `add rule ${T} forward ${r}`),
  ].join('\n');
}

/** The owner's fingerprint as nft lists a mark (decimal). */
const markOf = (tag: string): string => String(parseInt(fingerprint32(tag), 16));

/** Every element this attachment owns, as [set, key parts]; derived ones separately. */
function wanted(t: ForwardTarget, ips: Cidr[]): { owned: [string, string[]][]; derived: [string, string[]][] } {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const owned: [string, string[]][] = [];
  const derived: [string, string[]][] = [];
  for (const c of ips) {
    owned.push([`own${c.family}`, [c.ip, markOf(tag)]]);
    derived.push([`ctr${c.family}`, [c.ip]]);
  }
  if (t.bridge) {
    ifnameLit(t.bridge);
    owned.push(['own_br', [t.bridge, markOf(tag)]]);
    derived.push(['ctr_br', [t.bridge]]);
    if (t.ingressPolicy !== 'open') derived.push(['policy_br', [t.bridge]]);
    for (const c of ips) {
      if (t.ingressPolicy === 'isolated') owned.push([`isolated${c.family}`, [c.ip, t.bridge]]);
      if (t.ingressPolicy === 'same-bridge') owned.push([`samebr${c.family}`, [c.ip, t.bridge]], [`samebr_ok${c.family}`, [c.ip, t.bridge, t.bridge]]);
    }
  }
  return { owned, derived };
}

export function nftForwardAdd(t: ForwardTarget): void {
  const tag = quote(ownerTag(t.network, t.containerId, t.ifname));
  const w = wanted(t, parseForwardIps(t.ips));
  const lines = [...w.owned, ...w.derived].map(([set, parts]) => `add element ${T} ${set} { ${keyText(set, parts)} comment ${tag} }`);
  if (!lines.length) return;
  withFirewallLock(() => {
    let r = nftApply(lines.join('\n'));
    if (r.outcome === 'missing') r = nftApply(`${setupScript()}\n${lines.join('\n')}`);
    if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: firewall ADD failed', r.stderr.trim());
  });
}

const listEntries = (): { objs: any[]; entries: Entry[] } => {
  const objs = nftListJson(['table', 'inet', FIREWALL_TABLE]);
  return { objs, entries: entriesOf(objs) };
};

function release(isMine: (comment: string) => boolean, what: string): void {
  withFirewallLock(() => {
    const lines = releaseLines(T, listEntries().entries, isMine);
    if (lines.length) nftApplyOrThrow(lines.join('\n'), what);
  });
}

/** Removes what this owner holds, found by its tag: prevResult's addresses are not needed or trusted. */
export function nftForwardDel(t: ForwardRemoval): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  release((c) => c === tag, 'firewall teardown');
}

export function nftForwardGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  release((c) => belongsToNetwork(c, network) && !keep.has(c), 'firewall GC');
}

export function nftForwardCheck(t: ForwardTarget): void {
  const { objs, entries } = listEntries();
  const fail = (msg: string): never => {
    throw new CniError(ErrorCode.Internal, `firewall: ${msg}`);
  };
  if (!objs.length) fail(`table inet ${FIREWALL_TABLE} is missing`);
  for (const chain of ['forward', 'isolation', 'admin']) if (!objs.some((o) => o.chain?.name === chain)) fail(`chain ${chain} of table inet ${FIREWALL_TABLE} is missing`);
  const rules = (chain: string): number => objs.filter((o) => o.rule?.chain === chain).length;
  if (rules('forward') < FORWARD_RULES.length) fail(`chain forward of table inet ${FIREWALL_TABLE} lacks rules (${rules('forward')} of ${FORWARD_RULES.length})`);
  if (rules('isolation') < ISOLATION_RULES.length) fail(`chain isolation of table inet ${FIREWALL_TABLE} lacks rules`);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const mine = ownedBy(entries, tag);
  const w = wanted(t, parseForwardIps(t.ips));
  // An attachment added before an upgrade in place: its address element carries its owner, its
  // policy is its bridge's in the per-bridge sets of that layout.
  if (!mine.length && entries.some((e) => (e.set === 'ctr4' || e.set === 'ctr6') && e.comment === tag)) {
    const br = t.bridge ?? '';
    if (t.ingressPolicy !== 'open' && !hasKey(entries, 'iso_br', [br])) fail(`bridge ${br} is not in set iso_br (ingressPolicy ${t.ingressPolicy}, added before per-attachment policies)`);
    if (t.ingressPolicy !== 'open' && hasKey(entries, 'icc_br', [br, br]) !== (t.ingressPolicy === 'same-bridge')) fail(`bridge ${br}: set icc_br does not match ingressPolicy ${t.ingressPolicy}`);
    return;
  }
  for (const [set, parts] of w.derived) {
    if (!hasKey(entries, set, parts)) fail(set.startsWith('ctr') && set !== 'ctr_br' ? `no accept entry for ${parts[0]} (set ${set})` : `no entry for ${parts.join(' . ')} in set ${set}`);
  }
  for (const [set, parts] of w.owned) {
    if (!hasKey(mine, set, parts)) fail(`set ${set} has no entry ${parts.join(' . ')} owned by ${tag} (ingressPolicy ${t.ingressPolicy})`);
  }
  const extra = mine.filter((e) => !w.owned.some(([set, parts]) => hasKey([e], set, parts)));
  if (extra.length) fail(`${tag} owns entries its ingressPolicy ${t.ingressPolicy} does not ask for: ${extra.map((e) => `${e.set} ${e.parts.join(' . ')}`).join(', ')}`);
}
