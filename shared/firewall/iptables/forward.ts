// iptables layout of the firewall plugin, in the filter table, as the reference builds it:
//   FORWARD     -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD   (inserted first)
//   CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
//   CNI-FORWARD -d <ip> --ctstate RELATED,ESTABLISHED -j ACCEPT ; -s <ip> -j ACCEPT   (per address)
//   CNI-INGRESS* for ingressPolicy, per attachment (iptables/ingress.ts; the reference's per-bridge
//   CNI-ISOLATION-STAGE-1/2 are not used: a bridge-wide rule cannot belong to one container).
// Ours on purpose: every per-address rule carries an owner comment (DEL without prevResult, GC),
// and published ports (ctstate DNAT) are accepted too, so `-p` works under a DROP policy.
import { CniError, ErrorCode } from '../../cni/error';
import type { Cidr } from '../addr';
import type { Family } from '../../cni/ip';
import { findExecutable } from '../exec';
import { parseForwardIps, type ForwardRemoval, type ForwardTarget } from '../forward-types';
import { INGRESS, INGRESS_CHAINS, INGRESS_JUMP_COMMENT, REPLY_RETURN, ingressRules, type ChainRule } from './ingress';
import { commentArg, iptablesRestore, iptablesSave } from './run';
import { jumpTarget, optionValue, parseSave, tokenize, type SavedRule, type SavedTable } from './save';

export const FORWARD_CHAIN = 'CNI-FORWARD';
/** The reference's isolation jump: our CNI-FORWARD jump goes after it when it is there. */
const LEGACY_STAGE1 = 'CNI-ISOLATION-STAGE-1';
const FILTER = 'filter';
const JUMP_COMMENT = 'CNI firewall plugin rules';
const ADMIN_COMMENT = 'CNI firewall plugin admin overrides';
const hostPrefix = (f: Family): number => (f === 4 ? 32 : 128);

/** Owner of a per-address rule; parsed back by GC. */
export const forwardComment = (network: string, containerId: string, ifname: string): string => `name: "${network}" id: "${containerId}" ifname: "${ifname}"`;
const COMMENT_RE = /^name: "(.*)" id: "(.*)" ifname: "(.*)"$/;

/** The per-address rules (after "-A CNI-FORWARD "). */
export function addressRules(c: Cidr, comment: string): string[] {
  const ip = `${c.ip}/${hostPrefix(c.family)}`;
  const cm = `-m comment --comment ${commentArg(comment)}`;
  return [
    `-d ${ip} -m conntrack --ctstate RELATED,ESTABLISHED ${cm} -j ACCEPT`,
    `-d ${ip} -m conntrack --ctstate DNAT ${cm} -j ACCEPT`,
    `-s ${ip} ${cm} -j ACCEPT`,
  ];
}

/** The same rule as iptables-save prints it, compared token by token. */
const sameRule = (r: SavedRule, chain: string, spec: string): boolean => {
  if (r.chain !== chain) return false;
  const want = tokenize(spec);
  return r.args.length === want.length && r.args.every((a, i) => a === want[i]);
};
const has = (saved: SavedTable, chain: string, spec: string): boolean => saved.rules.some((r) => sameRule(r, chain, spec));
const jumpsTo = (saved: SavedTable, chain: string, target: string): SavedRule[] => saved.rules.filter((r) => r.chain === chain && jumpTarget(r) === target);

function skeletonLines(saved: SavedTable, admin: string): string[] {
  const lines: string[] = [];
  for (const c of [FORWARD_CHAIN, admin, ...INGRESS_CHAINS]) if (!saved.chains.has(c)) lines.push(`:${c} - [0:0]`);
  if (!jumpsTo(saved, 'FORWARD', FORWARD_CHAIN).length) {
    // After the reference's isolation jump if there is one: its drops see packets before any accept.
    const fwd = saved.rules.filter((r) => r.chain === 'FORWARD');
    const iso = fwd.findIndex((r) => jumpTarget(r) === LEGACY_STAGE1);
    lines.push(`-I FORWARD ${iso + 2} -m comment --comment ${commentArg(JUMP_COMMENT)} -j ${FORWARD_CHAIN}`);
  }
  if (!jumpsTo(saved, FORWARD_CHAIN, admin).length) lines.push(`-I ${FORWARD_CHAIN} 1 -m comment --comment ${commentArg(ADMIN_COMMENT)} -j ${admin}`);
  // Ingress policy first, as the nftables backend does: the operator's accepts cannot lift it.
  if (!jumpsTo(saved, FORWARD_CHAIN, INGRESS).length) lines.push(`-I ${FORWARD_CHAIN} 1 -m comment --comment ${commentArg(INGRESS_JUMP_COMMENT)} -j ${INGRESS}`);
  if (!has(saved, INGRESS, REPLY_RETURN)) lines.push(`-A ${INGRESS} ${REPLY_RETURN}`);
  return lines;
}

/** Chains holding per-attachment rules (each with its owner's comment). */
const OWNED_CHAINS = [FORWARD_CHAIN, ...INGRESS_CHAINS];
const ownedBy = (saved: SavedTable, comment: string): SavedRule[] => saved.rules.filter((r) => OWNED_CHAINS.includes(r.chain) && optionValue(r.args, '--comment') === comment);
const deleteLine = (r: SavedRule): string => `-D ${r.chain} ${r.spec}`;

function validBridge(t: ForwardTarget): void {
  if (t.bridge !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(t.bridge)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid bridge name "${t.bridge}" in prevResult.interfaces`);
}

/** Every rule this attachment owns in one family. */
function wantedRules(t: ForwardTarget, cidrs: Cidr[], comment: string): ChainRule[] {
  return [...cidrs.flatMap((c) => addressRules(c, comment).map((spec) => ({ chain: FORWARD_CHAIN, spec }))), ...ingressRules(t, cidrs, comment)];
}

function byFamily(cidrs: Cidr[]): Map<Family, Cidr[]> {
  const m = new Map<Family, Cidr[]>();
  for (const c of cidrs) m.set(c.family, [...(m.get(c.family) ?? []), c]);
  return m;
}

export function iptForwardAdd(t: ForwardTarget): void {
  validBridge(t);
  const comment = forwardComment(t.network, t.containerId, t.ifname);
  for (const [family, cidrs] of byFamily(parseForwardIps(t.ips))) {
    const saved = parseSave(iptablesSave(family, FILTER));
    const wanted = wantedRules(t, cidrs, comment);
    // A repeated ADD of the same owner ends with exactly this ADD's rules.
    const stale = ownedBy(saved, comment).filter((r) => !wanted.some((w) => sameRule(r, w.chain, w.spec)));
    const lines = [
      ...skeletonLines(saved, t.adminChain),
      ...stale.map(deleteLine),
      ...wanted.filter((w) => !has(saved, w.chain, w.spec)).map((w) => (w.first ? `-I ${w.chain} 1 ${w.spec}` : `-A ${w.chain} ${w.spec}`)),
    ];
    iptablesRestore(family, lines, FILTER);
  }
}

function familiesToSweep(ips: string[] | undefined): Family[] {
  const known = ips?.length ? [...byFamily(parseForwardIps(ips)).keys()] : [4, 6];
  return (known as Family[]).filter((f) => findExecutable(f === 4 ? 'iptables-save' : 'ip6tables-save'));
}

export function iptForwardDel(t: ForwardRemoval): void {
  const comment = forwardComment(t.network, t.containerId, t.ifname);
  for (const f of familiesToSweep(t.ips)) {
    const saved = parseSave(iptablesSave(f, FILTER));
    iptablesRestore(f, ownedBy(saved, comment).map(deleteLine), FILTER);
  }
}

export function iptForwardCheck(t: ForwardTarget): void {
  const comment = forwardComment(t.network, t.containerId, t.ifname);
  const fail = (msg: string): never => {
    throw new CniError(ErrorCode.Internal, `firewall: ${msg}`);
  };
  for (const [family, cidrs] of byFamily(parseForwardIps(t.ips))) {
    const tool = family === 4 ? 'iptables' : 'ip6tables';
    const saved = parseSave(iptablesSave(family, FILTER));
    if (!saved.chains.has(FORWARD_CHAIN)) fail(`chain ${FORWARD_CHAIN} is missing (${tool} filter)`);
    if (!saved.chains.has(t.adminChain)) fail(`admin chain ${t.adminChain} is missing (${tool} filter)`);
    if (!jumpsTo(saved, 'FORWARD', FORWARD_CHAIN).length) fail(`FORWARD does not jump to ${FORWARD_CHAIN} (${tool} filter)`);
    if (!jumpsTo(saved, FORWARD_CHAIN, t.adminChain).length) fail(`${FORWARD_CHAIN} does not jump to ${t.adminChain} (${tool} filter)`);
    for (const c of cidrs) {
      for (const spec of addressRules(c, comment)) if (!has(saved, FORWARD_CHAIN, spec)) fail(`missing rule "-A ${FORWARD_CHAIN} ${spec}" (${tool} filter)`);
    }
    if (!jumpsTo(saved, FORWARD_CHAIN, INGRESS).length) fail(`${FORWARD_CHAIN} does not jump to ${INGRESS} (${tool} filter)`);
    if (!has(saved, INGRESS, REPLY_RETURN)) fail(`missing rule "-A ${INGRESS} ${REPLY_RETURN}" (${tool} filter)`);
    const wanted = wantedRules(t, cidrs, comment);
    for (const w of wanted) if (!has(saved, w.chain, w.spec)) fail(`missing rule "-A ${w.chain} ${w.spec}" (${tool} filter)`);
    const extra = ownedBy(saved, comment).filter((r) => !wanted.some((w) => sameRule(r, w.chain, w.spec)));
    if (extra.length) fail(`unexpected rule "-A ${extra[0]!.chain} ${extra[0]!.spec}" of this container (ingressPolicy ${t.ingressPolicy}, ${tool} filter)`);
  }
}

export function iptForwardGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => `${v.containerID}/${v.ifname}`));
  for (const f of familiesToSweep(undefined)) {
    const saved = parseSave(iptablesSave(f, FILTER));
    const stale = saved.rules.filter((r) => {
      if (!OWNED_CHAINS.includes(r.chain)) return false;
      const m = COMMENT_RE.exec(optionValue(r.args, '--comment') ?? '');
      return m !== null && m[1] === network && !keep.has(`${m[2]}/${m[3]}`);
    });
    iptablesRestore(f, stale.map(deleteLine), FILTER);
  }
}

/** Whether the host's iptables filter FORWARD chain drops by policy (what `auto` looks at). */
export function iptablesForwardDrops(family: Family): boolean {
  if (!findExecutable(family === 4 ? 'iptables-save' : 'ip6tables-save')) return false;
  try {
    return /^:FORWARD DROP /m.test(iptablesSave(family, FILTER));
  } catch {
    return false;
  }
}
