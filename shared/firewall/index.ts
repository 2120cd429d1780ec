// The firewall layer: one API, two backends implementing one interface (firewall-backend.ts):
// nftables (ours, by default) and iptables (the reference layout). Bridge uses the masquerade
// concern, portmap the port forwarding, the firewall plugin the forwarding accepts. What is the
// same for every concern and verb lives here, once: choosing the backend object, the host-wide
// lock around every call, and sweeping the other backend's leftovers on DEL and GC.
import type { Attachment } from '../cni/owner';
import { log } from '../cni/log';
import { clearUsed, markUsed, otherBackend, wasUsed, type Backend } from './backend';
import { flushUdpConntrack } from './conntrack';
import type { Concern, Facet, FirewallBackend } from './firewall-backend';
import { iptables } from './iptables';
import { withFirewallLock } from './lock';
import type { ForwardRemoval, ForwardTarget } from './forward-types';
import type { MasqRemoval, MasqTarget } from './masq-types';
import { nftables } from './nft';
import type { PortmapRemoval, PortmapTarget } from './portmap-types';
import { enableRouteLocalnet } from './route-localnet';

export { BACKENDS, backendStatus, detectBackend, resolveBackend, type Backend } from './backend';
export type { MasqRemoval, MasqTarget } from './masq-types';
export type { ContainerAddr, PortForward, PortmapRemoval, PortmapSettings, PortmapTarget, Protocol } from './portmap-types';
export { PROTOCOLS } from './portmap-types';

const impl = (b: Backend): FirewallBackend => (b === 'nftables' ? nftables : iptables);
const facet = (b: Backend, c: Concern): Facet<any, any> => impl(b)[c];

/**
 * Runs a teardown for the other backend's leftovers of this concern (only while it is marked as
 * used here); errors are logged. A teardown that saw the other backend hold nothing more of the
 * concern ends the sweeping (the caller holds the firewall lock, as every ADD's marking does).
 */
function sweepOther(backend: Backend, c: Concern, fn: (f: Facet<any, any>) => boolean | void): void {
  const other = impl(otherBackend(backend));
  if (!wasUsed(other.name, c) || !other.present()) return;
  try {
    if (fn(other[c]) === true) clearUsed(other.name, c);
  } catch (e) {
    log(`ignoring ${other.name} leftover cleanup error: ${(e as Error).message}`);
  }
}

function add<T>(backend: Backend, c: Concern, t: T): void {
  withFirewallLock(() => {
    markUsed(backend, c);
    facet(backend, c).add(t);
  });
}

function del<R>(backend: Backend, c: Concern, t: R): void {
  withFirewallLock(() => {
    facet(backend, c).del(t);
    // iptables chains are named by (network, container): addresses only chose the families to
    // look at, and a sweep looks at both, so it can tell when nothing is left to sweep.
    const sweep = otherBackend(backend) === 'iptables' ? { ...t, ips: undefined, families: undefined } : t;
    sweepOther(backend, c, (f) => f.del(sweep));
  });
}

function check<T>(backend: Backend, c: Concern, t: T): void {
  withFirewallLock(() => facet(backend, c).check(t));
}

function gc(backend: Backend, c: Concern, network: string, valid: readonly Attachment[]): void {
  withFirewallLock(() => {
    facet(backend, c).gc(network, valid);
    sweepOther(backend, c, (f) => f.gc(network, valid));
  });
}

// ---- masquerade (bridge ipMasq) ----

/** Masquerades traffic from each ip to anything outside its subnet, except multicast. */
export const masqAdd = (backend: Backend, t: MasqTarget): void => add(backend, 'masq', t);
/** Idempotent; works without ips; removes only what this owner's ADD made. */
export const masqDel = (backend: Backend, t: MasqRemoval): void => del(backend, 'masq', t);
export const masqCheck = (backend: Backend, t: MasqTarget): void => check(backend, 'masq', t);
export const masqGc = (backend: Backend, network: string, valid: readonly Attachment[]): void => gc(backend, 'masq', network, valid);

// ---- port forwarding (portmap) ----

/** DNAT (+ masquerade marking) for every forward, route_localnet, then stale UDP flows cleared. */
export function portmapAdd(backend: Backend, t: PortmapTarget): void {
  if (!t.forwards.length) return markUsed(backend, 'portmap');
  add(backend, 'portmap', t);
  if (t.snat) {
    const v4 = new Set(t.forwards.filter((f) => f.family === 4).map((f) => f.containerIP));
    for (const ip of v4) enableRouteLocalnet(ip);
  }
  flushUdpConntrack(t.forwards);
}

/** Removes exactly this attachment's entries; idempotent; needs no forwards. */
export const portmapDel = (backend: Backend, t: PortmapRemoval): void => del(backend, 'portmap', t);

export function portmapCheck(backend: Backend, t: PortmapTarget): void {
  if (t.forwards.length) check(backend, 'portmap', t);
}

export const portmapGc = (backend: Backend, network: string, valid: readonly Attachment[]): void => gc(backend, 'portmap', network, valid);

// ---- forwarding accepts and ingress isolation (firewall plugin) ----

export const forwardAdd = (backend: Backend, t: ForwardTarget): void => add(backend, 'forward', t);
/** Idempotent; works without ips; removes only this owner's entries. */
export const forwardDel = (backend: Backend, t: ForwardRemoval): void => del(backend, 'forward', t);
export const forwardCheck = (backend: Backend, t: ForwardTarget): void => check(backend, 'forward', t);
export const forwardGc = (backend: Backend, network: string, valid: readonly Attachment[]): void => gc(backend, 'forward', network, valid);
export { forwardFamilies, resolveForwardBackend } from './forward';
export { DEFAULT_ADMIN_CHAIN, INGRESS_POLICIES, type ForwardRemoval, type ForwardTarget, type IngressPolicy } from './forward-types';
