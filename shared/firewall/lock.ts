// One host-wide lock for every change to the firewall, whatever the backend. Two reasons:
// - iptables changes are read-modify-write (iptables-save, compute, iptables-restore --noflush).
//   Two plugins doing that at once lose rules: each sees a shared chain missing and declares it,
//   and a restore that declares a chain flushes it. iptables' own xtables lock covers one
//   restore, not the save before it.
// - ownership: DEL looks up who owns an element, rule or chain and removes it only when it is
//   the caller's; a per-network chain goes with its last element. Both are "look, then change",
//   which a parallel ADD must not interleave with.
// flock(2) (shared/sys/flock.ts): the kernel drops it if the process dies.
import fs from 'node:fs';
import path from 'node:path';
import { lockExclusive, unlock } from '../sys/flock';

// Per call, never at module init (the start-up snapshot would freeze it). The file keeps the
// name earlier builds used for their iptables lock, so a previous build still running during an
// upgrade in place serialises with this one.
const lockFile = (): string => path.join(process.env.TSCNI_RUN_DIR ?? '/run/tscni', 'iptables.lock');

let depth = 0;
let fd: number | undefined;

function acquire(): void {
  const file = lockFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    lockExclusive(fd);
  } catch (e) {
    fs.closeSync(fd);
    fd = undefined;
    throw e;
  }
}

function release(): void {
  if (fd === undefined) return;
  unlock(fd);
  fs.closeSync(fd);
  fd = undefined;
}

/** Runs fn holding the firewall lock; nested calls (a DEL sweeping inside a GC) reuse it. */
export function withFirewallLock<T>(fn: () => T): T {
  if (depth === 0) acquire();
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) release();
  }
}
