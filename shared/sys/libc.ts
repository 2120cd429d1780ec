// The handful of libc calls Node does not expose: netlink sockets, setns and flock.
import { koffi, type KoffiLib } from './ffi';
import { errnoName } from './errno';

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  setsockopt(fd: number, level: number, name: number, val: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  flock(fd: number, op: number): number;
  /** ioctl without an argument (NS_GET_NSTYPE and the like). */
  ioctl(fd: number, request: number): number;
  errno(): number;
}

let lib: Libc | undefined;

export function libc(): Libc {
  if (lib) return lib;
  const k = koffi();
  const c: KoffiLib = k.load('libc.so.6');
  lib = {
    socket: c.func('int socket(int, int, int)'),
    bind: c.func('int bind(int, void *, uint32_t)'),
    send: c.func('long send(int, void *, size_t, int)'),
    recv: c.func('long recv(int, void *, size_t, int)'),
    setsockopt: c.func('int setsockopt(int, int, int, void *, uint32_t)'),
    getsockname: c.func('int getsockname(int, void *, void *)'),
    close: c.func('int close(int)'),
    setns: c.func('int setns(int, int)'),
    flock: c.func('int flock(int, int)'),
    ioctl: c.func('int ioctl(int, unsigned long, ...)'),
    errno: () => k.errno(),
  };
  return lib;
}

/**
 * Ends the process with `code` through libc's _exit when this bundle already bound libc (every
 * call that touched netlink, a netns or a lock did; koffi is loaded for libc() alone): Node's own
 * exit path (exit handlers, platform and isolate teardown) costs a working plugin call ~3 ms and
 * has nothing to do for us, since every output went out through synchronous writes. Returns when
 * libc is not bound (loading koffi just to exit would cost more than it saves) or when
 * NODE_OPTIONS asks Node for something it does at exit (--cpu-prof, --heap-prof, a diagnostic
 * report); the caller then exits the usual way.
 */
export function exitAtOnce(code: number): void {
  if (!lib || process.env.NODE_OPTIONS) return;
  (koffi().load('libc.so.6').func('void _exit(int)') as (c: number) => void)(code);
}

/** An OS error carrying the errno name (EEXIST, ENODEV…) so callers can branch on it. */
export class SysError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
    readonly code = errnoName(errno),
  ) {
    super(`${op}: ${code} (errno ${errno})`);
  }
}

export function check(op: string, rc: number): number {
  if (rc < 0) throw new SysError(op, libc().errno());
  return rc;
}

export const LOCK_EX = 2;
export const LOCK_UN = 8;
export const CLONE_NEWNET = 0x40000000;
/** ioctl(2) on a namespace fd: returns its CLONE_NEW* type (linux/nsfs.h, since Linux 4.11). */
export const NS_GET_NSTYPE = 0xb703;
