// nftables layout of the firewall plugin: table inet tscni_firewall.
//   sets ctr4/ctr6   container addresses, element comment = owner tag "<net>/<cid>/<ifname>"
//   set  iso_br      bridges whose networks use ingressPolicy same-bridge or isolated
//   set  icc_br      "br . br" pairs: same-bridge traffic allowed (absent for isolated)
//   chain forward    filter hook, policy accept: jump isolation, jump admin, then the accepts
//   chain isolation  from one isolated bridge to another (or to itself without icc): drop
//   chain admin      the operator's; created empty, never flushed or edited by us
// A drop here is final for the packet; an accept is final only for this table. So the accepts
// matter only where no other table drops forwarded traffic (see forward.ts for auto).
// ADD/DEL are element changes in one transaction; the skeleton is (re)built only when missing.
import { CniError, ErrorCode } from '../../cni/error';
import type { Cidr } from '../addr';
import { parseForwardIps, type ForwardRemoval, type ForwardTarget } from '../forward-types';
import { belongsToNetwork, ownerTag } from '../names';
import { listedElements, nftApply, nftApplyOrThrow, nftListJson, quote, type ListedElement } from './run';

export const FIREWALL_TABLE = 'tscni_firewall';
const T = `inet ${FIREWALL_TABLE}`;
const ctrSet = (c: Cidr): string => `ctr${c.family}`;

/** nft ifname literal; bridge names come from prevResult, so refuse anything odd. */
function ifnameLit(name: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid bridge name "${name}" in prevResult.interfaces`);
  return `"${name}"`;
}

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
const ISOLATION_RULES = ['iifname . oifname @icc_br return', 'iifname @iso_br oifname @iso_br drop'];

export function setupScript(): string {
  return [
    `add table ${T} { comment "tscni firewall plugin: forwarding for container addresses; owned by tscni, managed per container"; }`,
    `add set ${T} ctr4 { type ipv4_addr; comment "container addresses (comment = net/container/ifname)"; }`,
    `add set ${T} ctr6 { type ipv6_addr; comment "container addresses (comment = net/container/ifname)"; }`,
    `add set ${T} iso_br { type ifname; comment "bridges of networks with ingressPolicy same-bridge or isolated"; }`,
    `add set ${T} icc_br { type ifname . ifname; comment "bridge . bridge: traffic inside a same-bridge network"; }`,
    `add chain ${T} admin { comment "operator rules, evaluated before the container accepts; tscni never edits this chain"; }`,
    `add chain ${T} isolation`,
    `flush chain ${T} isolation`,
    ...ISOLATION_RULES.map((r) => `add rule ${T} isolation ${r}`),
    `add chain ${T} forward { type filter hook forward priority filter; policy accept; }`,
    `flush chain ${T} forward`,
    ...FORWARD_RULES.map((r) => `add rule ${T} forward ${r}`),
  ].join('\n');
}

/** add + delete: removes an element if present, a no-op if absent (a bare delete would fail). */
const guardedDelete = (set: string, key: string): string[] => [`add element ${T} ${set} { ${key} }`, `delete element ${T} ${set} { ${key} }`];

function policyScript(t: ForwardTarget): string[] {
  if (!t.bridge) return [];
  const br = ifnameLit(t.bridge);
  const pair = `${br} . ${br}`;
  switch (t.ingressPolicy) {
    case 'same-bridge':
      return [`add element ${T} iso_br { ${br} }`, `add element ${T} icc_br { ${pair} }`];
    case 'isolated':
      return [`add element ${T} iso_br { ${br} }`, ...guardedDelete('icc_br', pair)];
    default:
      // An open network on a bridge that an isolated network once used must not inherit that.
      return [...guardedDelete('iso_br', br), ...guardedDelete('icc_br', pair)];
  }
}

function elementScript(t: ForwardTarget, ips: Cidr[]): string {
  const tag = quote(ownerTag(t.network, t.containerId, t.ifname));
  return [...ips.map((c) => `add element ${T} ${ctrSet(c)} { ${c.ip} comment ${tag} }`), ...policyScript(t)].join('\n');
}

export function nftForwardAdd(t: ForwardTarget): void {
  const ips = parseForwardIps(t.ips);
  const elements = elementScript(t, ips);
  if (!elements) return;
  let r = nftApply(elements);
  if (r.outcome === 'missing') r = nftApply(`${setupScript()}\n${elements}`);
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: firewall ADD failed', r.stderr.trim());
}

function deleteElements(els: ListedElement[]): void {
  if (!els.length) return;
  nftApplyOrThrow(els.map((e) => `delete element ${T} ${e.set} { ${e.key} }`).join('\n'), 'firewall teardown');
}

const ctrElements = (objs: any[]): ListedElement[] => listedElements(objs).filter((e) => (e.set === 'ctr4' || e.set === 'ctr6') && e.comment !== undefined);

export function nftForwardDel(t: ForwardRemoval): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const ips = t.ips?.length ? parseForwardIps(t.ips) : [];
  if (ips.length) {
    const r = nftApply(ips.flatMap((c) => guardedDelete(ctrSet(c), c.ip)).join('\n'));
    if (r.outcome === 'ok' || r.outcome === 'missing') return;
  }
  deleteElements(ctrElements(nftListJson(['table', 'inet', FIREWALL_TABLE])).filter((e) => e.comment === tag));
}

function ruleTexts(objs: any[], chain: string): number {
  return objs.filter((o) => o.rule?.chain === chain).length;
}

export function nftForwardCheck(t: ForwardTarget): void {
  const ips = parseForwardIps(t.ips);
  const objs = nftListJson(['table', 'inet', FIREWALL_TABLE]);
  const fail = (msg: string): never => {
    throw new CniError(ErrorCode.Internal, `firewall: ${msg}`);
  };
  if (!objs.length) fail(`table inet ${FIREWALL_TABLE} is missing`);
  for (const chain of ['forward', 'isolation', 'admin']) if (!objs.some((o) => o.chain?.name === chain)) fail(`chain ${chain} of table inet ${FIREWALL_TABLE} is missing`);
  if (ruleTexts(objs, 'forward') < FORWARD_RULES.length) fail(`chain forward of table inet ${FIREWALL_TABLE} lacks rules (${ruleTexts(objs, 'forward')} of ${FORWARD_RULES.length})`);
  if (ruleTexts(objs, 'isolation') < ISOLATION_RULES.length) fail(`chain isolation of table inet ${FIREWALL_TABLE} lacks rules`);
  const els = listedElements(objs);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const c of ips) {
    const e = els.find((x) => x.set === ctrSet(c) && x.key === c.ip);
    if (!e) fail(`no accept entry for ${c.ip} (set ${ctrSet(c)})`);
    if (e!.comment !== tag) fail(`the accept entry for ${c.ip} belongs to "${e!.comment}", not to ${tag}`);
  }
  if (t.bridge && t.ingressPolicy !== 'open') {
    const isolated = els.some((e) => e.set === 'iso_br' && e.key === t.bridge);
    const icc = els.some((e) => e.set === 'icc_br' && e.key === `${t.bridge} . ${t.bridge}`);
    if (!isolated) fail(`bridge ${t.bridge} is not in set iso_br (ingressPolicy ${t.ingressPolicy})`);
    if (icc !== (t.ingressPolicy === 'same-bridge')) fail(`bridge ${t.bridge}: set icc_br does not match ingressPolicy ${t.ingressPolicy}`);
  }
}

export function nftForwardGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  deleteElements(ctrElements(nftListJson(['table', 'inet', FIREWALL_TABLE])).filter((e) => belongsToNetwork(e.comment!, network) && !keep.has(e.comment!)));
}

