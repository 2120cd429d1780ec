// What the firewall plugin asks of a backend: let the container's addresses be forwarded (even
// under a FORWARD policy of DROP), optionally isolate its bridge from other isolated bridges.
import { CniError, ErrorCode } from '../cni/error';
import { parseCidr, type Cidr } from './addr';
import type { Family } from '../cni/ip';

export const INGRESS_POLICIES = ['open', 'same-bridge', 'isolated'] as const;
export type IngressPolicy = (typeof INGRESS_POLICIES)[number];

/** The reference's default admin chain: the operator's rules, evaluated before ours. */
export const DEFAULT_ADMIN_CHAIN = 'CNI-ADMIN';

export interface ForwardIdentity {
  network: string;
  containerId: string;
  ifname: string;
}

export interface ForwardTarget extends ForwardIdentity {
  /** "addr/prefix" of every address the container got. */
  ips: string[];
  ingressPolicy: IngressPolicy;
  /** Host-side bridge of the container (required by same-bridge / isolated). */
  bridge?: string;
  /** iptables: the admin chain jumped first from CNI-FORWARD (nftables uses its own `admin`). */
  adminChain: string;
}

export interface ForwardRemoval extends ForwardIdentity {
  /** From prevResult: only a hint for which address families to look in; entries are found by owner. */
  ips?: string[];
}

export function parseForwardIps(ips: string[], field = 'prevResult.ips'): Cidr[] {
  return ips.map((s, i) => {
    const c = parseCidr(s);
    if (!c) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address "${s}" in ${field}[${i}]`, 'expected address/prefix');
    return c;
  });
}

export const familiesOf = (cidrs: Cidr[]): Family[] => [...new Set(cidrs.map((c) => c.family))].sort();
