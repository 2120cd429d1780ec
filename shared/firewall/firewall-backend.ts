// The one interface both firewall backends implement. Every concern (bridge masquerade, portmap's
// published ports, the firewall plugin's forwarding accepts) has the same four verbs, so the API
// in index.ts chooses the backend, takes the host-wide lock and sweeps the other backend's
// leftovers in one place instead of once per verb.
import type { Attachment } from '../cni/owner';
import type { ForwardRemoval, ForwardTarget } from './forward-types';
import type { MasqRemoval, MasqTarget } from './masq-types';
import type { PortmapRemoval, PortmapTarget } from './portmap-types';
import type { Backend } from './backend';

/** One concern of one backend. del/gc remove only what the given owner (or an invalid one) owns. */
export interface Facet<Target, Removal> {
  add(t: Target): void;
  /**
   * Idempotent; removes an entry only when its recorded owner is the removal's owner. May answer
   * true when it saw that this backend holds nothing more of the concern on the host (no owner
   * at all), which lets the other backend's DELs stop sweeping it.
   */
  del(t: Removal): boolean | void;
  check(t: Target): void;
  /** Removes the entries of `network` whose attachment is not in `valid`. */
  gc(network: string, valid: readonly Attachment[]): void;
}

export interface FirewallBackend {
  readonly name: Backend;
  readonly masq: Facet<MasqTarget, MasqRemoval>;
  readonly portmap: Facet<PortmapTarget, PortmapRemoval>;
  readonly forward: Facet<ForwardTarget, ForwardRemoval>;
  /** Whether this backend's tools exist here (sweeping needs them; the chosen one must have them). */
  present(): boolean;
}

export type Concern = 'masq' | 'portmap' | 'forward';
