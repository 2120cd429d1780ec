// iptables portmap in the reference layout (measured from the reference portmap 1.1.1),
// table nat per family:
//   PREROUTING/OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
//   CNI-HOSTPORT-DNAT -p <proto> -m comment --comment 'dnat name: "<net>" id: "<cid>"' -m multiport --dports <p,…> -j CNI-DN-<21hex>
//   CNI-DN-<21hex>: per mapping the SETMARK rules (snat) then the DNAT rule
//   CNI-HOSTPORT-SETMARK marks, CNI-HOSTPORT-MASQ (first in POSTROUTING) masquerades marked packets.
// The shared chains are created only when missing and never removed, so chains the reference
// plugin made stay as they are and both can live on one host.
import { CniError, ErrorCode } from '../../cni/error';
import type { Family } from '../../cni/ip';
import type { Attachment } from '../../cni/owner';
import { dnatChainName } from '../names';
import { describeForward, PROTOCOLS, type PortForward, type PortmapRemoval, type PortmapTarget } from '../portmap-types';
import { commentArg, iptablesRestore, iptablesSave, quoteArg } from './run';
import { gcAttachmentChains, removeAttachmentChain, type AttachmentChains } from './attachment-chain';
import { jumpTarget, optionValue, parseSave, type SavedTable } from './save';

const HOSTPORT_DNAT = 'CNI-HOSTPORT-DNAT';
const HOSTPORT_SETMARK = 'CNI-HOSTPORT-SETMARK';
const HOSTPORT_MASQ = 'CNI-HOSTPORT-MASQ';
const MAX_MULTIPORT = 15;

const dnatComment = (network: string, containerId: string): string => `dnat name: "${network}" id: "${containerId}"`;
const markHex = (bit: number): string => `0x${(2 ** bit).toString(16)}`;
const hostPrefix = (f: Family): number => (f === 4 ? 32 : 128);

function conditionArgs(tokens: string[] | undefined, field: string): string {
  if (!tokens?.length) return '';
  return ' ' + tokens.map((t) => {
    if (/[\n\r]/.test(t)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid token in ${field}`, 'newlines are not allowed');
    return quoteArg(t);
  }).join(' ');
}

function forwardsByFamily(fs: PortForward[]): Map<Family, PortForward[]> {
  const m = new Map<Family, PortForward[]>();
  for (const f of fs) m.set(f.family, [...(m.get(f.family) ?? []), f]);
  return m;
}

const COMMENT_RE = /^dnat name: "(.*)" id: "(.*)"$/;
const DNAT_CHAINS: AttachmentChains = { parent: HOSTPORT_DNAT, candidate: (chain) => chain.startsWith('CNI-DN-'), comment: COMMENT_RE, name: dnatChainName };

/** The container id each CNI-DN-* chain belongs to, from the comment of its entry rule. */
function chainContainers(saved: SavedTable): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of saved.rules) {
    const chain = jumpTarget(r);
    const m = COMMENT_RE.exec(optionValue(r.args, '--comment') ?? '');
    if (r.chain === DNAT_CHAINS.parent && chain && DNAT_CHAINS.candidate(chain) && m) out.set(chain, m[2]!);
  }
  return out;
}

/**
 * (hostIP, proto, port) keys DNATed by other containers' CNI-DN-* chains, with the chain that owns
 * them. The same container's chains on other networks do not count: podman publishes a
 * container's ports on every network it joins; the first chain in CNI-HOSTPORT-DNAT wins, and
 * when it goes the next one of that container takes over by itself.
 */
function foreignKeys(saved: SavedTable, ours: string, family: Family, containerId: string): Map<string, string> {
  const out = new Map<string, string>();
  const owners = chainContainers(saved);
  for (const r of saved.rules) {
    if (!r.chain.startsWith('CNI-DN-') || r.chain === ours || jumpTarget(r) !== 'DNAT') continue;
    if (owners.get(r.chain) === containerId) continue;
    const d = optionValue(r.args, '-d');
    const host = d ? d.replace(/\/(32|128)$/, '') : family === 4 ? '0.0.0.0' : '::';
    out.set(`${host} ${optionValue(r.args, '-p')}/${optionValue(r.args, '--dport')}`, r.chain);
  }
  return out;
}

function ownerOfChain(saved: SavedTable, chain: string): string {
  const entry = saved.rules.find((r) => r.chain === HOSTPORT_DNAT && jumpTarget(r) === chain);
  return optionValue(entry?.args ?? [], '--comment') ?? chain;
}

const keyOf = (f: PortForward): string => `${f.hostIP ?? (f.family === 4 ? '0.0.0.0' : '::')} ${f.protocol}/${f.hostPort}`;
const destination = (f: PortForward): string => (f.family === 4 ? `${f.containerIP}:${f.containerPort}` : `[${f.containerIP}]:${f.containerPort}`);
const match = (f: PortForward): string => `${f.hostIP ? `-d ${f.hostIP}/${hostPrefix(f.family)} ` : ''}-p ${f.protocol} -m ${f.protocol} --dport ${f.hostPort}`;

function infrastructureLines(saved: SavedTable, t: PortmapTarget): string[] {
  const lines: string[] = [];
  const has = (chain: string, pred: (args: string[]) => boolean): boolean => saved.rules.some((r) => r.chain === chain && pred(r.args));
  if (!saved.chains.has(HOSTPORT_DNAT)) lines.push(`:${HOSTPORT_DNAT} - [0:0]`);
  for (const base of ['PREROUTING', 'OUTPUT']) {
    if (!has(base, (a) => a.includes(HOSTPORT_DNAT))) lines.push(`-A ${base} -m addrtype --dst-type LOCAL -j ${HOSTPORT_DNAT}`);
  }
  if (t.snat && !t.externalSetMarkChain) {
    const mark = `${markHex(t.markMasqBit)}/${markHex(t.markMasqBit)}`;
    if (!saved.chains.has(HOSTPORT_SETMARK)) lines.push(`:${HOSTPORT_SETMARK} - [0:0]`);
    if (!has(HOSTPORT_SETMARK, (a) => a.includes('MARK'))) lines.push(`-A ${HOSTPORT_SETMARK} -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${mark}`);
    if (!saved.chains.has(HOSTPORT_MASQ)) lines.push(`:${HOSTPORT_MASQ} - [0:0]`);
    if (!has(HOSTPORT_MASQ, (a) => a.includes('MASQUERADE'))) lines.push(`-A ${HOSTPORT_MASQ} -m mark --mark ${mark} -j MASQUERADE`);
    if (!has('POSTROUTING', (a) => a.includes(HOSTPORT_MASQ))) lines.push(`-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j ${HOSTPORT_MASQ}`);
  }
  return lines;
}

function containerLines(t: PortmapTarget, family: Family, fwd: PortForward[]): string[] {
  const chain = dnatChainName(t.network, t.containerId);
  const comment = commentArg(dnatComment(t.network, t.containerId));
  const conds = conditionArgs(family === 4 ? t.conditionsV4 : t.conditionsV6, family === 4 ? 'conditionsV4' : 'conditionsV6');
  const lines = [`:${chain} - [0:0]`];
  for (const proto of PROTOCOLS) {
    const ports = [...new Set(fwd.filter((f) => f.protocol === proto).map((f) => f.hostPort))];
    for (let i = 0; i < ports.length; i += MAX_MULTIPORT) {
      lines.push(`-A ${HOSTPORT_DNAT} -p ${proto} -m comment --comment ${comment} -m multiport --dports ${ports.slice(i, i + MAX_MULTIPORT).join(',')}${conds} -j ${chain}`);
    }
  }
  const setmark = t.externalSetMarkChain ?? HOSTPORT_SETMARK;
  const addr = t.addrs.find((a) => a.family === family);
  for (const f of fwd) {
    if (t.snat) {
      const sources = t.masqAll ? [''] : [`-s ${addr?.subnet ?? `${f.containerIP}/${hostPrefix(family)}`} `, ...(family === 4 ? ['-s 127.0.0.1/32 '] : [])];
      for (const s of sources) lines.push(`-A ${chain} ${s}${match(f)} -j ${setmark}`);
    }
    lines.push(`-A ${chain} ${match(f)} -j DNAT --to-destination ${destination(f)}`);
  }
  return lines;
}

export function iptPortmapAdd(t: PortmapTarget): void {
  const chain = dnatChainName(t.network, t.containerId);
  const plan: [Family, string[]][] = [];
  // Check every family for conflicts before changing any.
  for (const [family, fwd] of forwardsByFamily(t.forwards)) {
    const saved = parseSave(iptablesSave(family));
    const foreign = foreignKeys(saved, chain, family, t.containerId);
    for (const f of fwd) {
      const owner = foreign.get(keyOf(f));
      if (owner) throw new CniError(ErrorCode.PortConflict, `host port ${describeForward(f)} is already published by ${ownerOfChain(saved, owner)}`, `chain ${owner}`);
    }
    plan.push([family, [...infrastructureLines(saved, t), ...saved.rules.filter((r) => r.chain === HOSTPORT_DNAT && jumpTarget(r) === chain).map((r) => `-D ${HOSTPORT_DNAT} ${r.spec}`), ...containerLines(t, family, fwd)]]);
  }
  for (const [family, lines] of plan) iptablesRestore(family, lines);
}

export function iptPortmapDel(t: PortmapRemoval): boolean {
  return removeAttachmentChain(DNAT_CHAINS, t.network, t.containerId, t.families?.length ? t.families : [4, 6]);
}

export function iptPortmapCheck(t: PortmapTarget): void {
  const chain = dnatChainName(t.network, t.containerId);
  for (const [family, fwd] of forwardsByFamily(t.forwards)) {
    const saved = parseSave(iptablesSave(family));
    const where = `${family === 4 ? 'iptables' : 'ip6tables'} nat`;
    if (!saved.chains.has(chain)) throw new CniError(ErrorCode.Internal, `portmap: chain ${chain} not found in ${where}`);
    for (const f of fwd) {
      const dnat = saved.rules.some((r) => r.chain === chain && jumpTarget(r) === 'DNAT' && optionValue(r.args, '--dport') === String(f.hostPort) && optionValue(r.args, '-p') === f.protocol && optionValue(r.args, '--to-destination') === destination(f));
      if (!dnat) throw new CniError(ErrorCode.Internal, `portmap: no DNAT rule for ${describeForward(f)} in ${chain} (${where})`);
      const entry = saved.rules.some((r) => r.chain === HOSTPORT_DNAT && jumpTarget(r) === chain && optionValue(r.args, '-p') === f.protocol && (optionValue(r.args, '--dports') ?? '').split(',').includes(String(f.hostPort)));
      if (!entry) throw new CniError(ErrorCode.Internal, `portmap: ${HOSTPORT_DNAT} does not send ${describeForward(f)} to ${chain} (${where})`);
    }
  }
}

export function iptPortmapGc(network: string, valid: readonly Attachment[]): void {
  gcAttachmentChains(DNAT_CHAINS, network, valid);
}
