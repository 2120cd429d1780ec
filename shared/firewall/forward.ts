// The firewall plugin's half of the firewall layer: accept rules for container addresses,
// ingress isolation between bridges, an admin chain; nftables (our table) or iptables (the
// reference's CNI-FORWARD layout). Chosen per call; DEL also sweeps the other backend's leftovers.
import { log } from '../cni/log';
import type { Family } from './addr';
import { detectBackend, markUsed, otherBackend, resolveBackend, wasUsed, type Backend } from './backend';
import { findExecutable } from './exec';
import { familiesOf, parseForwardIps, type ForwardRemoval, type ForwardTarget } from './forward-types';
import * as iptForward from './iptables/forward';
import { iptablesForwardDrops } from './iptables/forward';
import { serialised } from './iptables/lock';
import { nftForwardAdd, nftForwardCheck, nftForwardDel, nftForwardGc } from './nft/forward';

// Every iptables change is a save-compute-restore: serialised host-wide (see iptables/lock.ts).
const iptForwardAdd = serialised(iptForward.iptForwardAdd);
const iptForwardCheck = serialised(iptForward.iptForwardCheck);
const iptForwardDel = serialised(iptForward.iptForwardDel);
const iptForwardGc = serialised(iptForward.iptForwardGc);

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

export function forwardAdd(backend: Backend, t: ForwardTarget): void {
  markUsed(backend);
  if (backend === 'nftables') nftForwardAdd(t);
  else iptForwardAdd(t);
}

/** Idempotent; works without ips; removes the other backend's entries too when it was ever used. */
export function forwardDel(backend: Backend, t: ForwardRemoval): void {
  const del = (b: Backend): void => (b === 'nftables' ? nftForwardDel(t) : iptForwardDel(t));
  del(backend);
  const other = otherBackend(backend);
  if (!wasUsed(other) || (other === 'nftables' && !findExecutable('nft'))) return;
  try {
    del(other);
  } catch (e) {
    log(`ignoring ${other} leftover cleanup error: ${(e as Error).message}`);
  }
}

export function forwardCheck(backend: Backend, t: ForwardTarget): void {
  if (backend === 'nftables') nftForwardCheck(t);
  else iptForwardCheck(t);
}

/** Removes the entries of `network` whose attachment is not in `valid`, on both backends. */
export function forwardGc(backend: Backend, network: string, valid: { containerID: string; ifname: string }[]): void {
  const gc = (b: Backend): void => (b === 'nftables' ? nftForwardGc(network, valid) : iptForwardGc(network, valid));
  gc(backend);
  const other = otherBackend(backend);
  if (!wasUsed(other) || (other === 'nftables' && !findExecutable('nft'))) return;
  try {
    gc(other);
  } catch (e) {
    log(`ignoring ${other} leftover GC error: ${(e as Error).message}`);
  }
}
