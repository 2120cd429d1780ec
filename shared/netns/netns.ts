// Runs a synchronous function inside a network namespace and always comes back.
// setns(2) moves only the calling thread, and Node's thread pool stays behind: so the function
// must not await or start async I/O: that would run on a thread still in the host netns.
// Sockets opened inside stay bound to the netns.
import fs from 'node:fs';
import { CLONE_NEWNET, NS_GET_NSTYPE, SysError, check, libc } from '../sys/libc';

export class NetnsNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`failed to open netns "${path}": no such file or directory`);
  }
}

/** The path exists but is no network namespace; `unmounted`: an empty file, a netns mount point with nothing on it. */
export class NotANetnsError extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
    readonly unmounted = false,
  ) {
    super(`CNI_NETNS "${path}" is not a network namespace: it is ${what}`);
  }
}

function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFile()) return st.size === 0 ? 'an empty regular file (no namespace mounted on it)' : 'a regular file';
  return 'not a file';
}

const NSFS_MAGIC = 0x6e736673;
const NS_TYPES: Record<number, string> = { 0x00020000: 'mount', 0x02000000: 'cgroup', 0x04000000: 'uts', 0x08000000: 'ipc', 0x10000000: 'user', 0x20000000: 'pid', 0x00000080: 'time' };

/**
 * Without opening anything: undefined when the path is a namespace file (nsfs) of some type,
 * else NotANetnsError saying what it is; a missing path is NetnsNotFoundError. Never opens a
 * FIFO or a device.
 */
function nsfsProblem(path: string): NotANetnsError | undefined {
  let st: fs.Stats;
  let fsType: number;
  try {
    st = fs.statSync(path);
    fsType = fs.statfsSync(path).type;
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new NetnsNotFoundError(path);
    // e.g. /proc/1/ns/net of a process this one may not ptrace: EACCES
    return new NotANetnsError(path, `not accessible (${e.code ?? e.message})`);
  }
  if (fsType === NSFS_MAGIC && st.isFile()) return undefined;
  return new NotANetnsError(path, fileKind(st), st.isFile() && st.size === 0);
}

/**
 * Opens a netns path and makes sure it is one: a missing path is NetnsNotFoundError (DEL treats
 * it as success), anything else that is not a network namespace is NotANetnsError, found here
 * rather than as EINVAL from setns after the caller has started changing things.
 */
export function openNetns(path: string): number {
  const problem = nsfsProblem(path);
  if (problem) throw problem;
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new NetnsNotFoundError(path);
    throw new NotANetnsError(path, `not readable (${e.code ?? e.message})`);
  }
  const type = libc().ioctl(fd, NS_GET_NSTYPE);
  if (type === CLONE_NEWNET) return fd;
  fs.closeSync(fd);
  throw new NotANetnsError(path, type < 0 ? `not a namespace (${new SysError('ioctl NS_GET_NSTYPE', libc().errno()).code})` : `a ${NS_TYPES[type] ?? `0x${type.toString(16)}`} namespace`);
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
