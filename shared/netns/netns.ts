// Runs a synchronous function inside a network namespace and always comes back.
// setns(2) moves only the calling thread, and Node's thread pool stays behind: so the function
// must not await or start async I/O: that would run on a thread still in the host netns.
// Sockets opened inside stay bound to the netns.
import fs from 'node:fs';
import { CLONE_NEWNET, SysError, check, libc } from '../sys/libc';

export class NetnsNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`failed to open netns "${path}": no such file or directory`);
  }
}

/** Opens a netns path; a missing path is a typed error (DEL treats it as success). */
export function openNetns(path: string): number {
  try {
    return fs.openSync(path, fs.constants.O_RDONLY);
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new NetnsNotFoundError(path);
    throw e;
  }
}

export function netnsExists(path: string): boolean {
  try {
    fs.accessSync(path);
    return true;
  } catch {
    return false;
  }
}

export function withNetnsFd<T>(fd: number, fn: () => T): T {
  const c = libc();
  const home = fs.openSync('/proc/thread-self/ns/net', fs.constants.O_RDONLY);
  try {
    check('setns', c.setns(fd, CLONE_NEWNET));
    try {
      const r = fn();
      if (r && typeof (r as any).then === 'function') throw new Error('withNetns: the function must be synchronous');
      return r;
    } finally {
      const rc = c.setns(home, CLONE_NEWNET);
      // Failing to come back would run everything after in the container: nothing is safe then.
      if (rc < 0) {
        process.stderr.write(`fatal: cannot return to the original netns: ${new SysError('setns', c.errno()).message}\n`);
        process.exit(70);
      }
    }
  } finally {
    fs.closeSync(home);
  }
}

export function withNetns<T>(path: string, fn: () => T): T {
  const fd = openNetns(path);
  try {
    return withNetnsFd(fd, fn);
  } finally {
    fs.closeSync(fd);
  }
}
