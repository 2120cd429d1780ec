// What this host remembers of its membership, in the overlay's state directory:
//   <stateDir>/<network>/lease.json   { node, leaseId, share }: the lease to renew and the slice to
//                                     ask for again after a restart (flannel's subnet.env role)
//   <stateDir>/<network>/store.lock   flock around one join, so two CNI calls on a host never take
//                                     two leases (the agent takes it too)
import fs from 'node:fs';
import path from 'node:path';
import { withLockFile } from '../../sys/flock';
import { MEMBERSHIP_FILE } from '../state';

export interface Membership {
  /** The node key (the underlay address). */
  node: string;
  leaseId: string;
  /** The claimed (or configured) slice, as CIDR. */
  share?: string;
}

const dirOf = (stateDir: string, network: string): string => path.join(stateDir, network);
export const membershipFile = (stateDir: string, network: string): string => path.join(dirOf(stateDir, network), MEMBERSHIP_FILE);

export function loadMembership(stateDir: string, network: string): Membership | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(membershipFile(stateDir, network), 'utf8')) as Partial<Membership>;
    if (typeof m.node !== 'string' || typeof m.leaseId !== 'string') return undefined;
    return { node: m.node, leaseId: m.leaseId, ...(typeof m.share === 'string' && { share: m.share }) };
  } catch {
    return undefined; // missing or torn: the store is asked again
  }
}

export function saveMembership(stateDir: string, network: string, m: Membership): void {
  const file = membershipFile(stateDir, network);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(m), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function forgetMembership(stateDir: string, network: string): void {
  fs.rmSync(membershipFile(stateDir, network), { force: true });
}

/** Runs fn holding <stateDir>/<network>/store.lock (separate from the kernel-state lock). */
export async function withStoreLock<T>(stateDir: string, network: string, fn: () => Promise<T>): Promise<T> {
  const dir = dirOf(stateDir, network);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLockFile(path.join(dir, 'store.lock'), fn);
}
