// The firewall layer: one API, two backends (nftables by default, iptables in the reference
// layout). Bridge uses the masquerade half, portmap the port-forwarding half.
import { log } from '../cni/log';
import { markUsed, otherBackend, wasUsed, type Backend } from './backend';
import { flushUdpConntrack } from './conntrack';
import { serialised } from './iptables/lock';
import * as iptMasq from './iptables/masq';
import * as iptPortmap from './iptables/portmap';
import { nftMasqAdd, nftMasqCheck, nftMasqDel, nftMasqGc } from './nft/masq';
import { nftPortmapAdd, nftPortmapCheck, nftPortmapDel, nftPortmapGc } from './nft/portmap';
import type { PortmapRemoval, PortmapTarget } from './portmap-types';
import { enableRouteLocalnet } from './route-localnet';

// Every iptables change is a save-compute-restore: serialised host-wide (see iptables/lock.ts).
const iptMasqAdd = serialised(iptMasq.iptMasqAdd);
const iptMasqCheck = serialised(iptMasq.iptMasqCheck);
const iptMasqDel = serialised(iptMasq.iptMasqDel);
const iptMasqGc = serialised(iptMasq.iptMasqGc);
const iptPortmapAdd = serialised(iptPortmap.iptPortmapAdd);
const iptPortmapCheck = serialised(iptPortmap.iptPortmapCheck);
const iptPortmapDel = serialised(iptPortmap.iptPortmapDel);
const iptPortmapGc = serialised(iptPortmap.iptPortmapGc);

export { BACKENDS, backendStatus, detectBackend, iptablesVariant, resolveBackend, type Backend } from './backend';
export type { ContainerAddr, PortForward, PortmapIdentity, PortmapRemoval, PortmapTarget, Protocol } from './portmap-types';
export { PROTOCOLS } from './portmap-types';
export { MASQ_TABLE } from './nft/masq';
export { PORTMAP_TABLE } from './nft/portmap';

export interface MasqTarget {
  network: string;
  containerId: string;
  ifname: string;
  /** "addr/prefix" of the container. */
  ips: string[];
}

export interface MasqRemoval {
  network: string;
  containerId: string;
  ifname: string;
  ips?: string[];
}

export interface Attachment {
  containerID: string;
  ifname: string;
}

/** Runs a teardown for the other backend's leftovers; its errors are only logged. */
function sweepOther(backend: Backend, fn: (b: Backend) => void): void {
  const other = otherBackend(backend);
  if (!wasUsed(other)) return;
  try {
    fn(other);
  } catch (e) {
    log(`ignoring ${other} leftover cleanup error: ${(e as Error).message}`);
  }
}

// ---- masquerade (bridge ipMasq) ----

/** One transaction: masquerade traffic from each ip to anything outside its subnet, except multicast. */
export function masqAdd(backend: Backend, t: MasqTarget): void {
  markUsed(backend);
  if (backend === 'nftables') nftMasqAdd(t);
  else iptMasqAdd(t);
}

/** Idempotent; works without ips (found by owner / chain name); also sweeps the other backend's leftovers. */
export function masqDel(backend: Backend, t: MasqRemoval): void {
  const del = (b: Backend): void => (b === 'nftables' ? nftMasqDel(t) : iptMasqDel(t));
  del(backend);
  sweepOther(backend, del);
}

export function masqCheck(backend: Backend, t: MasqTarget): void {
  if (backend === 'nftables') nftMasqCheck(t);
  else iptMasqCheck(t);
}

export function masqGc(backend: Backend, network: string, valid: Attachment[]): void {
  const gc = (b: Backend): void => (b === 'nftables' ? nftMasqGc(network, valid) : iptMasqGc(network, valid));
  gc(backend);
  sweepOther(backend, gc);
}

// ---- port forwarding (portmap) ----

/** DNAT (+ masquerade marking) for every forward, route_localnet, then stale UDP flows cleared. */
export function portmapAdd(backend: Backend, t: PortmapTarget): void {
  markUsed(backend);
  if (!t.forwards.length) return;
  if (backend === 'nftables') nftPortmapAdd(t);
  else iptPortmapAdd(t);
  if (t.snat) {
    const v4 = new Set(t.forwards.filter((f) => f.family === 4).map((f) => f.containerIP));
    for (const ip of v4) enableRouteLocalnet(ip);
  }
  flushUdpConntrack(t.forwards);
}

/** Removes exactly this attachment's entries; idempotent; needs no forwards. */
export function portmapDel(backend: Backend, t: PortmapRemoval): void {
  const del = (b: Backend): void => (b === 'nftables' ? nftPortmapDel(t) : iptPortmapDel(t));
  del(backend);
  sweepOther(backend, del);
}

export function portmapCheck(backend: Backend, t: PortmapTarget): void {
  if (!t.forwards.length) return;
  if (backend === 'nftables') nftPortmapCheck(t);
  else iptPortmapCheck(t);
}

export function portmapGc(backend: Backend, network: string, valid: Attachment[]): void {
  const gc = (b: Backend): void => (b === 'nftables' ? nftPortmapGc(network, valid) : iptPortmapGc(network, valid));
  gc(backend);
  sweepOther(backend, gc);
}

// ---- forwarding accepts and ingress isolation (firewall plugin) ----
export { forwardAdd, forwardCheck, forwardDel, forwardFamilies, forwardGc, resolveForwardBackend } from './forward';
export { DEFAULT_ADMIN_CHAIN, INGRESS_POLICIES, type ForwardRemoval, type ForwardTarget, type IngressPolicy } from './forward-types';
export { FIREWALL_TABLE } from './nft/forward';
