// Exclusive flock(2) on a lock file: the lock every store of ours (and the reference host-local)
// uses. The kernel drops it when the process dies, so a killed plugin never leaves it held.
import fs from 'node:fs';
import { LOCK_EX, LOCK_UN, SysError, libc } from './libc';

/** Blocks until the lock is ours, retrying EINTR. */
export function lockExclusive(fd: number): void {
  const c = libc();
  while (c.flock(fd, LOCK_EX) !== 0) {
    const err = new SysError('flock', c.errno());
    if (err.code !== 'EINTR') throw err;
  }
}

export function unlock(fd: number): void {
  libc().flock(fd, LOCK_UN);
}

/** Opens (creating 0600) a lock file without following a symlink planted in its place. */
export function openLockFile(file: string): number {
  return fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
}

/** Runs fn holding the lock on `file`; async so the holder may await (outside any netns switch). */
export async function withLockFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const fd = openLockFile(file);
  try {
    lockExclusive(fd);
    try {
      return await fn();
    } finally {
      unlock(fd);
    }
  } finally {
    fs.closeSync(fd);
  }
}
