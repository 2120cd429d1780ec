// What bridge's ipMasq asks the firewall for.
import type { Owner } from '../cni/owner';

export interface MasqTarget extends Owner {
  /** "addr/prefix" of the container. */
  ips: string[];
}

/** For DEL: the addresses when known (prevResult or the interface), else found by owner. */
export interface MasqRemoval extends Owner {
  ips?: string[];
}
