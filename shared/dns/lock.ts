// One writer per network at a time: parallel ADDs would otherwise read the same records and each
// drop the other's entry. flock is released by the kernel if we die.
// The last DEL removes the network's directory, lock file included. A process that was waiting
// on that lock then holds a lock nobody else can see, so after locking we check that the path
// still names the file we locked, and start over if it does not.
import fs from 'node:fs';
import path from 'node:path';
import { lockExclusive, unlock } from '../sys/flock';
import type { NetworkFiles } from './state-dir';

const lockFd = lockExclusive;

function stillLinked(fd: number, file: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** mkdir -p with every directory it creates 0755 whatever the umask (the server must read in). */
function makeDirs(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    fs.chmodSync(d, 0o755);
    if (d === first || d === path.dirname(d)) break;
  }
}

/**
 * Runs `fn` holding the network's lock. With `create` the state directory is made (0755) when
 * missing; without it, a network that has no directory has nothing to do: returns undefined.
 */
export function withNetworkLock<T>(files: NetworkFiles, create: boolean, fn: () => T): T | undefined {
  for (;;) {
    if (create) {
      makeDirs(files.dir);
    } else if (!fs.existsSync(files.dir)) {
      return undefined;
    }
    let fd: number;
    try {
      // Node opens with O_CLOEXEC, so a dnsmasq started under the lock does not inherit it.
      fd = fs.openSync(files.lock, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (e: any) {
      if (e.code === 'ENOENT') continue; // the directory went away between the two steps
      throw e;
    }
    try {
      lockFd(fd);
      if (!stillLinked(fd, files.lock)) continue;
      try {
        return fn();
      } finally {
        unlock(fd);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}
