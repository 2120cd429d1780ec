// iptables masquerade for bridge ipMasq, in the reference layout (measured from the reference
// bridge 1.1.1; test/unit/firewall/names.test.ts pins the chain names):
//   POSTROUTING -s <ip>/<32|128> -m comment --comment 'name: "<net>" id: "<cid>"' -j CNI-<24hex>
//   CNI-<24hex> -d <subnet> ... -j ACCEPT ; CNI-<24hex> ! -d <multicast> ... -j MASQUERADE
import { CniError, ErrorCode } from '../../cni/error';
import { parseCidr, subnetOf, type Cidr, type Family } from '../addr';
import type { Attachment } from '../../cni/owner';
import type { MasqRemoval, MasqTarget } from '../masq-types';
import { masqChainName } from '../names';
import { commentArg, iptablesRestore, iptablesSave } from './run';
import { jumpTarget, optionValue, parseSave, type SavedTable } from './save';

const MULTICAST: Record<Family, string> = { 4: '224.0.0.0/4', 6: 'ff00::/8' };
const hostPrefix = (f: Family): number => (f === 4 ? 32 : 128);
const masqComment = (network: string, containerId: string): string => `name: "${network}" id: "${containerId}"`;

function byFamily(ips: string[]): Map<Family, Cidr[]> {
  const m = new Map<Family, Cidr[]>();
  ips.forEach((s, i) => {
    const c = parseCidr(s);
    if (!c) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address "${s}" in ips[${i}]`, 'expected address/prefix');
    m.set(c.family, [...(m.get(c.family) ?? []), c]);
  });
  return m;
}

/** Lines removing our POSTROUTING jumps and chain, as found in a saved table. */
function teardownLines(saved: SavedTable, chain: string): string[] {
  const lines = saved.rules.filter((r) => r.chain === 'POSTROUTING' && jumpTarget(r) === chain).map((r) => `-D POSTROUTING ${r.spec}`);
  if (saved.chains.has(chain)) lines.push(`-F ${chain}`, `-X ${chain}`);
  return lines;
}

export function iptMasqAdd(t: MasqTarget): void {
  const chain = masqChainName(t.network, t.containerId);
  const comment = commentArg(masqComment(t.network, t.containerId));
  for (const [family, cidrs] of byFamily(t.ips)) {
    const saved = parseSave(iptablesSave(family));
    // Re-declaring the chain flushes it, which makes a repeated ADD rebuild rather than duplicate.
    const lines = [`:${chain} - [0:0]`];
    const jumps = new Set(saved.rules.filter((r) => r.chain === 'POSTROUTING' && jumpTarget(r) === chain).map((r) => optionValue(r.args, '-s')));
    for (const c of cidrs) {
      const src = `${c.ip}/${hostPrefix(family)}`;
      if (!jumps.has(src)) lines.push(`-A POSTROUTING -s ${src} -m comment --comment ${comment} -j ${chain}`);
    }
    for (const sub of new Set(cidrs.map(subnetOf))) lines.push(`-A ${chain} -d ${sub} -m comment --comment ${comment} -j ACCEPT`);
    lines.push(`-A ${chain} ! -d ${MULTICAST[family]} -m comment --comment ${comment} -j MASQUERADE`);
    iptablesRestore(family, lines);
  }
}

/** Works without addresses: the chain name comes from (network, containerId). */
export function iptMasqDel(t: MasqRemoval): void {
  const chain = masqChainName(t.network, t.containerId);
  const families: Family[] = t.ips?.length ? [...byFamily(t.ips).keys()] : [4, 6];
  for (const f of families) iptablesRestore(f, teardownLines(parseSave(iptablesSave(f)), chain));
}

export function iptMasqCheck(t: MasqTarget): void {
  const chain = masqChainName(t.network, t.containerId);
  for (const [family, cidrs] of byFamily(t.ips)) {
    const saved = parseSave(iptablesSave(family));
    if (!saved.chains.has(chain)) throw new CniError(ErrorCode.Internal, `masquerade: chain ${chain} is missing (${family === 4 ? 'iptables' : 'ip6tables'} nat)`);
    for (const c of cidrs) {
      const src = `${c.ip}/${hostPrefix(family)}`;
      if (!saved.rules.some((r) => r.chain === 'POSTROUTING' && jumpTarget(r) === chain && optionValue(r.args, '-s') === src)) {
        throw new CniError(ErrorCode.Internal, `masquerade: POSTROUTING has no rule sending ${src} to ${chain}`);
      }
    }
    if (!saved.rules.some((r) => r.chain === chain && jumpTarget(r) === 'MASQUERADE')) throw new CniError(ErrorCode.Internal, `masquerade: chain ${chain} has no MASQUERADE rule`);
  }
}

/** Removes the chains of this network whose container id is not among the valid ones. */
export function iptMasqGc(network: string, valid: readonly Attachment[]): void {
  const keep = new Set(valid.map((v) => v.containerId));
  for (const f of [4, 6] as const) {
    const saved = parseSave(iptablesSave(f));
    const stale = new Set<string>();
    for (const r of saved.rules) {
      const chain = jumpTarget(r);
      if (r.chain !== 'POSTROUTING' || !chain?.startsWith('CNI-') || chain.length !== 28) continue;
      const m = /^name: "(.*)" id: "(.*)"$/.exec(optionValue(r.args, '--comment') ?? '');
      if (m && m[1] === network && !keep.has(m[2]!) && chain === masqChainName(network, m[2]!)) stale.add(chain);
    }
    iptablesRestore(f, [...stale].flatMap((c) => teardownLines(saved, c)));
  }
}
