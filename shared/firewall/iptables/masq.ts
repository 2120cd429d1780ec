// iptables masquerade for bridge ipMasq, in the reference layout (measured from the reference
// bridge 1.1.1; test/unit/firewall/names.test.ts pins the chain names):
//   POSTROUTING -s <ip>/<32|128> -m comment --comment 'name: "<net>" id: "<cid>"' -j CNI-<24hex>
//   CNI-<24hex> -d <subnet> ... -j ACCEPT ; CNI-<24hex> ! -d <multicast> ... -j MASQUERADE
import { CniError, ErrorCode } from '../../cni/error';
import { parseCidr, subnetOf, type Cidr } from '../addr';
import type { Family } from '../../cni/ip';
import type { Attachment } from '../../cni/owner';
import type { MasqRemoval, MasqTarget } from '../masq-types';
import { masqChainName } from '../names';
import { commentArg, iptablesRestore, iptablesSave } from './run';
import { gcAttachmentChains, removeAttachmentChain, type AttachmentChains } from './attachment-chain';
import { jumpTarget, optionValue, parseSave } from './save';

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

const MASQ_CHAINS: AttachmentChains = {
  parent: 'POSTROUTING',
  candidate: (chain) => chain.startsWith('CNI-') && chain.length === 28,
  comment: /^name: "(.*)" id: "(.*)"$/,
  name: masqChainName,
};

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

export function iptMasqDel(t: MasqRemoval): boolean {
  return removeAttachmentChain(MASQ_CHAINS, t.network, t.containerId, t.ips?.length ? [...byFamily(t.ips).keys()] : [4, 6]);
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

export function iptMasqGc(network: string, valid: readonly Attachment[]): void {
  gcAttachmentChains(MASQ_CHAINS, network, valid);
}
