// Which backend the firewall plugin's forwarding accepts use. The verbs themselves go through
// the one backend interface in index.ts (lock and leftover sweep applied there).
import type { Family } from '../cni/ip';
import { detectBackend, resolveBackend, type Backend } from './backend';
import { familiesOf, parseForwardIps } from './forward-types';
import { iptablesForwardDrops } from './iptables/forward';

/**
 * `auto`: iptables when the host's iptables filter FORWARD policy is DROP (an nftables accept in
 * our own table cannot overrule a drop verdict of another table's base chain, so only rules inside
 * that FORWARD chain help), else the shared rule (nftables when `nft` exists).
 */
export function resolveForwardBackend(requested: string | undefined, families: Family[]): Backend {
  if (requested !== undefined && requested !== '' && requested !== 'auto') return resolveBackend(requested, 'backend');
  const detected = detectBackend();
  if (detected === 'iptables') return detected;
  return families.some((f) => iptablesForwardDrops(f)) ? 'iptables' : 'nftables';
}

/** Families a resolution should look at: the container's, or IPv4 alone when none are known. */
export function forwardFamilies(ips: string[] | undefined): Family[] {
  const f = familiesOf(parseForwardIps(ips ?? []));
  return f.length ? f : [4];
}
