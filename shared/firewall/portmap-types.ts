// What portmap asks the firewall for, already resolved per address family.
import type { Owner } from '../cni/owner';
import type { Family } from '../cni/ip';

export type Protocol = 'tcp' | 'udp' | 'sctp';
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

/** One published port in one family: (hostIP?, protocol, hostPort) → containerIP:containerPort. */
export interface PortForward {
  family: Family;
  protocol: Protocol;
  /** Canonical address; undefined means any local address. */
  hostIP?: string;
  hostPort: number;
  containerIP: string;
  containerPort: number;
}

/** A container address the forwards point at, with its subnet (for hairpin masquerade). */
export interface ContainerAddr {
  family: Family;
  ip: string;
  prefix: number;
  /** "network/prefix" */
  subnet: string;
}

/** The config's rule settings, defaults applied (shared/conf/portmap.ts settingsOf). */
export interface PortmapSettings {
  /** Masquerade hairpin, same-subnet and localhost-originated connections. */
  snat: boolean;
  /** Masquerade every source instead (reference masqAll). */
  masqAll: boolean;
  /** iptables: the packet-mark bit CNI-HOSTPORT-SETMARK sets. */
  markMasqBit: number;
  /** iptables: an existing chain that marks for masquerade (e.g. KUBE-MARK-MASQ). */
  externalSetMarkChain?: string;
  /** Extra match tokens for the entry rules, in the backend's dialect. */
  conditionsV4?: string[];
  conditionsV6?: string[];
}

export interface PortmapTarget extends Owner, PortmapSettings {
  forwards: PortForward[];
  addrs: ContainerAddr[];
}

/** For DEL: forwards/addrs when known (fast path), otherwise found by owner. */
export interface PortmapRemoval extends Owner, Partial<Pick<PortmapSettings, 'snat' | 'masqAll'>> {
  forwards?: PortForward[];
  addrs?: ContainerAddr[];
  families?: Family[];
}

export const describeForward = (f: PortForward): string =>
  `${f.protocol}/${f.hostPort} on ${f.hostIP ?? (f.family === 4 ? 'any IPv4 address' : 'any IPv6 address')}`;
