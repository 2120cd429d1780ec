// One nat chain per attachment, reached by jumps from a parent chain whose comment names the
// network and the container: masquerade (POSTROUTING → CNI-<hash>) and portmap
// (CNI-HOSTPORT-DNAT → CNI-DN-<hash>). DEL and GC take it down the same way: the parent's jumps
// to it first, then the chain.
import type { Attachment } from '../../cni/owner';
import type { Family } from '../../cni/ip';
import { iptablesRestore, iptablesSave } from './run';
import { jumpTarget, optionValue, parseSave, type SavedTable } from './save';

export interface AttachmentChains {
  /** The chain holding the jumps. */
  parent: string;
  /** A cheap test of a jump target, before its comment is read. */
  candidate: (chain: string) => boolean;
  /** The jump's comment: group 1 the network, group 2 the container id. */
  comment: RegExp;
  name: (network: string, containerId: string) => string;
}

/** Lines removing the parent's jumps to `chain` and the chain itself, as found in a saved table. */
function teardownLines(k: AttachmentChains, saved: SavedTable, chain: string): string[] {
  const lines = saved.rules.filter((r) => r.chain === k.parent && jumpTarget(r) === chain).map((r) => `-D ${k.parent} ${r.spec}`);
  if (saved.chains.has(chain)) lines.push(`-F ${chain}`, `-X ${chain}`);
  return lines;
}

/**
 * Works without addresses: the chain name comes from (network, containerId). True when both
 * families were looked at and no other attachment's chain of this kind is left (nothing more to
 * sweep here for anyone).
 */
export function removeAttachmentChain(k: AttachmentChains, network: string, containerId: string, families: readonly Family[]): boolean {
  const chain = k.name(network, containerId);
  let othersLeft = false;
  for (const f of families) {
    const saved = parseSave(iptablesSave(f));
    iptablesRestore(f, teardownLines(k, saved, chain));
    othersLeft ||= [...saved.chains].some((c) => c !== chain && k.candidate(c)) || saved.rules.some((r) => r.chain === k.parent && jumpTarget(r) !== chain && k.candidate(jumpTarget(r) ?? ''));
  }
  return !othersLeft && families.includes(4) && families.includes(6);
}

/** Removes the chains of this network whose container id is not among the valid ones. */
export function gcAttachmentChains(k: AttachmentChains, network: string, valid: readonly Attachment[]): void {
  const keep = new Set(valid.map((v) => v.containerId));
  for (const f of [4, 6] as const) {
    const saved = parseSave(iptablesSave(f));
    const stale = new Set<string>();
    for (const r of saved.rules) {
      const chain = jumpTarget(r);
      if (r.chain !== k.parent || !chain || !k.candidate(chain)) continue;
      const m = k.comment.exec(optionValue(r.args, '--comment') ?? '');
      if (m && m[1] === network && !keep.has(m[2]!) && chain === k.name(network, m[2]!)) stale.add(chain);
    }
    iptablesRestore(f, [...stale].flatMap((c) => teardownLines(k, saved, c)));
  }
}
