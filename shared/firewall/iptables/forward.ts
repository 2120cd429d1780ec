// iptables layout of the firewall plugin, in the filter table, as the reference builds it:
//   FORWARD     -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD   (inserted first)
//   CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
//   CNI-FORWARD -d <ip> --ctstate RELATED,ESTABLISHED -j ACCEPT ; -s <ip> -j ACCEPT   (per address)
//   CNI-ISOLATION-STAGE-1/2 for ingressPolicy same-bridge / isolated (Docker's layout).
// Ours on purpose: every per-address rule carries an owner comment (DEL without prevResult, GC),
// and published ports (ctstate DNAT) are accepted too, so `-p` works under a DROP policy.
import { CniError, ErrorCode } from '../../cni/error';
import type { Cidr, Family } from '../addr';
import { findExecutable } from '../exec';
import { parseForwardIps, type ForwardRemoval, type ForwardTarget } from '../forward-types';
import { commentArg, iptablesRestore, iptablesSave } from './run';
import { jumpTarget, optionValue, parseSave, tokenize, type SavedRule, type SavedTable } from './save';

export const FORWARD_CHAIN = 'CNI-FORWARD';
export const STAGE1 = 'CNI-ISOLATION-STAGE-1';
export const STAGE2 = 'CNI-ISOLATION-STAGE-2';
const FILTER = 'filter';
const JUMP_COMMENT = 'CNI firewall plugin rules';
const ADMIN_COMMENT = 'CNI firewall plugin admin overrides';
const isoComment = (policy: string): string => `CNI firewall plugin rules (ingressPolicy: ${policy})`;
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

function isolationSpecs(bridge: string, policy: string): { stage1: string; stage2: string; icc: string } {
  const br = bridge;
  const cm = `-m comment --comment ${commentArg(isoComment(policy))}`;
  return {
    stage1: `-i ${br} ! -o ${br} ${cm} -j ${STAGE2}`,
    stage2: `-o ${br} ${cm} -j DROP`,
    icc: `-i ${br} -o ${br} ${cm} -j DROP`,
  };
}

/** Rules of STAGE-1/2 that name this bridge (whatever policy put them there). */
function bridgeIsolationRules(saved: SavedTable, bridge: string): SavedRule[] {
  return saved.rules.filter(
    (r) => (r.chain === STAGE1 && optionValue(r.args, '-i') === bridge) || (r.chain === STAGE2 && optionValue(r.args, '-o') === bridge && jumpTarget(r) === 'DROP'),
  );
}

function isolationLines(saved: SavedTable, t: ForwardTarget): string[] {
  if (!t.bridge) return [];
  const bridge = t.bridge;
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(bridge)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid bridge name "${bridge}" in prevResult.interfaces`);
  const existing = bridgeIsolationRules(saved, bridge);
  if (t.ingressPolicy === 'open') return existing.map((r) => `-D ${r.chain} ${r.spec}`);
  const lines: string[] = [];
  const s = isolationSpecs(bridge, t.ingressPolicy);
  const cm = `-m comment --comment ${commentArg(isoComment(t.ingressPolicy))}`;
  for (const c of [STAGE1, STAGE2]) if (!saved.chains.has(c)) lines.push(`:${c} - [0:0]`);
  if (!jumpsTo(saved, 'FORWARD', STAGE1).length) lines.push(`-I FORWARD 1 ${cm} -j ${STAGE1}`);
  // Whatever another policy left for this bridge goes; then this policy's rules, before RETURN.
  const wanted = [
    { chain: STAGE1, spec: s.stage1 },
    { chain: STAGE2, spec: s.stage2 },
    ...(t.ingressPolicy === 'isolated' ? [{ chain: STAGE1, spec: s.icc }] : []),
  ];
  for (const r of existing) if (!wanted.some((w) => sameRule(r, w.chain, w.spec))) lines.push(`-D ${r.chain} ${r.spec}`);
  for (const w of wanted) if (!has(saved, w.chain, w.spec)) lines.push(`-I ${w.chain} 1 ${w.spec}`);
  for (const c of [STAGE1, STAGE2]) if (!saved.rules.some((r) => r.chain === c && jumpTarget(r) === 'RETURN' && r.args.length <= 6)) lines.push(`-A ${c} ${cm} -j RETURN`);
  return lines;
}

function skeletonLines(saved: SavedTable, admin: string): string[] {
  const lines: string[] = [];
  for (const c of [FORWARD_CHAIN, admin]) if (!saved.chains.has(c)) lines.push(`:${c} - [0:0]`);
  if (!jumpsTo(saved, 'FORWARD', FORWARD_CHAIN).length) {
    // After the isolation jump if there is one: isolation must see packets before any accept.
    const fwd = saved.rules.filter((r) => r.chain === 'FORWARD');
    const iso = fwd.findIndex((r) => jumpTarget(r) === STAGE1);
    lines.push(`-I FORWARD ${iso + 2} -m comment --comment ${commentArg(JUMP_COMMENT)} -j ${FORWARD_CHAIN}`);
  }
  if (!jumpsTo(saved, FORWARD_CHAIN, admin).length) lines.push(`-I ${FORWARD_CHAIN} 1 -m comment --comment ${commentArg(ADMIN_COMMENT)} -j ${admin}`);
  return lines;
}

const ownedBy = (saved: SavedTable, comment: string): SavedRule[] => saved.rules.filter((r) => r.chain === FORWARD_CHAIN && optionValue(r.args, '--comment') === comment);

function byFamily(cidrs: Cidr[]): Map<Family, Cidr[]> {
  const m = new Map<Family, Cidr[]>();
  for (const c of cidrs) m.set(c.family, [...(m.get(c.family) ?? []), c]);
  return m;
}

export function iptForwardAdd(t: ForwardTarget): void {
  const comment = forwardComment(t.network, t.containerId, t.ifname);
  for (const [family, cidrs] of byFamily(parseForwardIps(t.ips))) {
    const saved = parseSave(iptablesSave(family, FILTER));
    const wanted = cidrs.flatMap((c) => addressRules(c, comment));
    const stale = ownedBy(saved, comment).filter((r) => !wanted.some((w) => sameRule(r, FORWARD_CHAIN, w)));
    const lines = [
      ...skeletonLines(saved, t.adminChain),
      ...isolationLines(saved, t),
      ...stale.map((r) => `-D ${FORWARD_CHAIN} ${r.spec}`),
      ...wanted.filter((w) => !has(saved, FORWARD_CHAIN, w)).map((w) => `-A ${FORWARD_CHAIN} ${w}`),
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
    iptablesRestore(f, ownedBy(saved, comment).map((r) => `-D ${FORWARD_CHAIN} ${r.spec}`), FILTER);
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
    if (t.bridge && t.ingressPolicy !== 'open') {
      const s = isolationSpecs(t.bridge, t.ingressPolicy);
      if (!jumpsTo(saved, 'FORWARD', STAGE1).length) fail(`FORWARD does not jump to ${STAGE1} (${tool} filter)`);
      const need = [
        { chain: STAGE1, spec: s.stage1 },
        { chain: STAGE2, spec: s.stage2 },
        ...(t.ingressPolicy === 'isolated' ? [{ chain: STAGE1, spec: s.icc }] : []),
      ];
      for (const w of need) if (!has(saved, w.chain, w.spec)) fail(`missing rule "-A ${w.chain} ${w.spec}" (${tool} filter)`);
    }
  }
}

export function iptForwardGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => `${v.containerID}/${v.ifname}`));
  for (const f of familiesToSweep(undefined)) {
    const saved = parseSave(iptablesSave(f, FILTER));
    const stale = saved.rules.filter((r) => {
      if (r.chain !== FORWARD_CHAIN) return false;
      const m = COMMENT_RE.exec(optionValue(r.args, '--comment') ?? '');
      return m !== null && m[1] === network && !keep.has(`${m[2]}/${m[3]}`);
    });
    iptablesRestore(f, stale.map((r) => `-D ${FORWARD_CHAIN} ${r.spec}`), FILTER);
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
