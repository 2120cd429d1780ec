// One host-wide flock per kind of owned state (firewall elements, saved files). An owner check
// ("is this entry still mine?") and the delete that follows must not be split by another plugin's
// ADD, or a DEL could remove an entry a parallel ADD has just (re)claimed. The kernel drops the lock if the process dies.
import fs from 'node:fs';
import path from 'node:path';
import { lockExclusive, openLockFile, unlock } from './flock';

// Per call, never at module init (the start-up snapshot would freeze it).
const runDir = (): string => process.env.TSCNI_RUN_DIR ?? '/run/tscni';

const held = new Map<string, number>();

/** Runs fn holding `<run dir>/<name>.lock`; a nested call for the same name reuses the lock. */
export function withHostLock<T>(name: string, fn: () => T): T {
  if (held.has(name)) return fn();
  const file = path.join(runDir(), `${name}.lock`);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const fd = openLockFile(file);
  try {
    lockExclusive(fd);
    held.set(name, fd);
    try {
      return fn();
    } finally {
      held.delete(name);
      unlock(fd);
    }
  } finally {
    fs.closeSync(fd);
  }
}
