// The on-disk store, byte-compatible with the reference host-local:
//   <dataDir>/<network>/<ip>                  "<containerID>\r\n<ifname>", mode 0600
//   <dataDir>/<network>/last_reserved_ip.<i>  the last address reserved from range set i
//   <dataDir>/<network>/lock                  flock(LOCK_EX) around every change, as the reference
// The lock file is created 0600 (the reference's go-filemutex makes it 0750; the mode does not
// matter to flock, and nothing needs to execute or read it).
//
// A lease is written to a temp file, then link()ed to its name: link fails with EEXIST when the
// address is taken, atomically, so a kill -9 at any point leaves a whole lease or none (the
// page cache outlives the process). Like the reference, nothing is fsynced: after a power loss a
// lease may come back empty; its address then stays blocked until DEL (through the owner index)
// or GC removes it. An fdatasync per ADD would cost a journal commit (ms) on every call.
import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrorCode } from '../cni/error';
import { log } from '../cni/log';
import { validateNetworkName } from '../cni/names';
import { lockExclusive, unlock } from '../sys/flock';
import { overwriteSync } from '../sys/files';
import { type Ip, formatIp, parseIp } from '../cni/ip';
import type { Attachment } from '../cni/owner';
import { LAST_RESERVED_PREFIX, type LeaseContent, LOCK_NAME, leaseBody, ownerKey, parseLease } from './lease-file';
import { OwnerIndex, tmpName } from './owner-index';

const O = fs.constants;
/** A lease body is a container ID and an interface name; anything longer is not one. */
const LEASE_READ_LIMIT = 4096;
/** Temp files inside the store (only when the owner index is unavailable): never an address. */
const TMP_PREFIX = '.tscni-tmp.';

export interface LeaseEntry {
  name: string;
  ip: Ip;
  content: LeaseContent;
}

/** Lease file names are addresses in their canonical text form; anything else is not a lease. */
export function leaseIp(name: string): Ip | undefined {
  const ip = parseIp(name);
  return ip && formatIp(ip) === name ? ip : undefined;
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function storeError(msg: string, e: unknown): CniError {
  return new CniError(ErrorCode.IoFailure, msg, (e as Error)?.message ?? String(e));
}

/**
 * Crash injection for the kill -9 tests: TSCNI_TEST_CRASH=<point> makes the process SIGKILL
 * itself at that point, so each window between two writes is exercised deterministically.
 */
function crashPoint(point: string): void {
  if (process.env.TSCNI_TEST_CRASH === point) process.kill(process.pid, 'SIGKILL');
}

export class Store {
  private lockFd: number | undefined;
  private locked = false;
  /** owner key → lease names, when this transaction scanned the store (or the index is off). */
  private byKey: Map<string, Set<string>> | undefined;
  private pendingTmp: { path: string; key: string } | undefined;

  private constructor(
    readonly dir: string,
    private readonly index: OwnerIndex | undefined,
  ) {}

  /** Opens (creating if needed) the store of one network; never resolves outside dataDir. */
  static open(dataDir: string, network: string): Store {
    validateNetworkName(network);
    const base = path.resolve(dataDir);
    const dir = path.resolve(base, network);
    if (path.dirname(dir) !== base || path.basename(dir) !== network) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `network name "${network}" does not name a directory inside ${base}`);
    }
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw storeError(`cannot create the IPAM store ${dir}`, e);
    }
    if (!fs.lstatSync(dir).isDirectory()) {
      throw new CniError(ErrorCode.IoFailure, `IPAM store ${dir} is not a directory`, 'a symlink or file is in its place; refusing to follow it');
    }
    let index: OwnerIndex | undefined;
    try {
      index = OwnerIndex.open(base, network, dir);
    } catch (e) {
      log(`host-local: owner index unavailable (${(e as Error).message}); every operation scans the store`);
    }
    const store = new Store(dir, index);
    try {
      store.lockFd = fs.openSync(path.join(dir, LOCK_NAME), O.O_RDONLY | O.O_CREAT | O.O_NOFOLLOW, 0o600);
    } catch (e) {
      throw storeError(`cannot open the IPAM lock ${path.join(dir, LOCK_NAME)}`, e);
    }
    return store;
  }

  close(): void {
    if (this.locked) this.unlock();
    if (this.lockFd !== undefined) fs.closeSync(this.lockFd);
    this.lockFd = undefined;
  }

  private lock(): void {
    try {
      lockExclusive(this.lockFd!);
    } catch (e) {
      throw storeError('cannot lock the IPAM store', e);
    }
    this.locked = true;
  }

  private unlock(): void {
    unlock(this.lockFd!);
    this.locked = false;
  }

  /**
   * Runs fn under the store lock with an up-to-date owner index. The index is marked current
   * again only when fn returns or throws a CniError (our own refusals, raised after cleanup);
   * any other failure may have left the index behind the store, so the next call rescans.
   */
  transaction<T>(fn: () => T): T {
    this.lock();
    let clean = false;
    try {
      this.byKey = undefined;
      // Under the lock no temp file is in use: any there is a killed process's (an empty
      // directory in the normal case, so this costs one readdir).
      this.index?.sweepTmp();
      if (!this.index || !this.index.isCurrent()) this.rebuildIndex();
      const r = fn();
      clean = true;
      return r;
    } catch (e) {
      clean = e instanceof CniError;
      throw e;
    } finally {
      try {
        this.discardTmp();
        if (this.index) {
          if (clean) this.index.saveStamp();
          else this.index.invalidate();
        }
      } finally {
        this.byKey = undefined;
        this.unlock();
      }
    }
  }

  /** Every lease in the store, read without following symlinks; odd entries are logged. */
  scan(): LeaseEntry[] {
    const out: LeaseEntry[] = [];
    for (const d of fs.readdirSync(this.dir, { withFileTypes: true })) {
      const ip = leaseIp(d.name);
      if (!ip) continue;
      if (!d.isFile()) {
        log(`host-local: ${path.join(this.dir, d.name)} is not a regular file (${d.isSymbolicLink() ? 'a symlink' : 'a directory or device'}); its address stays blocked`);
        continue;
      }
      const content = this.readLease(d.name);
      if (content.kind === 'garbage') log(`host-local: lease ${path.join(this.dir, d.name)}: ${content.reason}`);
      out.push({ name: d.name, ip, content });
    }
    return out;
  }

  readLease(name: string): LeaseContent {
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dir, name), O.O_RDONLY | O.O_NOFOLLOW | O.O_NONBLOCK);
    } catch (e) {
      return { kind: 'garbage', reason: `cannot open: ${(e as Error).message}` };
    }
    try {
      if (!fs.fstatSync(fd).isFile()) return { kind: 'garbage', reason: 'not a regular file' };
      const buf = Buffer.alloc(LEASE_READ_LIMIT + 1);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      if (n > LEASE_READ_LIMIT) return { kind: 'garbage', reason: `larger than ${LEASE_READ_LIMIT} bytes` };
      return parseLease(buf.subarray(0, n).toString('utf8'));
    } catch (e) {
      return { kind: 'garbage', reason: `cannot read: ${(e as Error).message}` };
    } finally {
      fs.closeSync(fd);
    }
  }

  private rebuildIndex(): void {
    const map = new Map<string, Set<string>>();
    if (!this.index) {
      // Without the index, temp files live in the store: remove those a killed process left.
      for (const n of fs.readdirSync(this.dir)) if (n.startsWith(TMP_PREFIX)) fs.rmSync(path.join(this.dir, n), { force: true });
    }
    for (const l of this.scan()) {
      if (l.content.kind === 'garbage') continue;
      const key = l.content.key;
      if (!map.has(key)) map.set(key, new Set());
      map.get(key)!.add(l.name);
      if (this.index) {
        const st = fs.lstatSync(path.join(this.dir, l.name), { bigint: true });
        this.index.adoptLease(key, l.name, st.ino);
      }
    }
    this.byKey = map;
  }

  /** Lease names (addresses) held under an owner key: "<id>\r\n<ifname>", or a legacy "<id>". */
  leasesOf(key: string): string[] {
    if (this.byKey) return [...(this.byKey.get(key) ?? [])];
    return this.index!.lookup(key);
  }

  leasesOfOwner(o: Attachment): string[] {
    return this.leasesOf(ownerKey(o));
  }

  /** Reserves ip for o; false if the address is already taken (by anyone, or by any file). */
  reserve(o: Attachment, ip: Ip, rangeId: number): boolean {
    const name = formatIp(ip);
    const key = ownerKey(o);
    const tmp = this.prepareTmp(o, key);
    crashPoint('before-link');
    try {
      fs.linkSync(tmp, path.join(this.dir, name));
    } catch (e) {
      if (errCode(e) === 'EEXIST') return false;
      throw e;
    }
    this.pendingTmp = undefined;
    crashPoint('after-link');
    if (this.index) this.index.adoptTmp(tmp, key, name);
    else fs.rmSync(tmp, { force: true });
    if (this.byKey) {
      if (!this.byKey.has(key)) this.byKey.set(key, new Set());
      this.byKey.get(key)!.add(name);
    }
    crashPoint('after-marker');
    this.writeLastReserved(rangeId, name);
    return true;
  }

  private prepareTmp(o: Attachment, key: string): string {
    if (this.pendingTmp?.key === key) return this.pendingTmp.path;
    this.discardTmp();
    // Without the index the temp file sits in the store itself, under a name that is no address.
    const tmp = this.index ? this.index.tmpPath() : path.join(this.dir, `${TMP_PREFIX}${tmpName()}`);
    const fd = fs.openSync(tmp, O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, leaseBody(o));
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    this.pendingTmp = { path: tmp, key };
    return tmp;
  }

  private discardTmp(): void {
    if (this.pendingTmp) fs.rmSync(this.pendingTmp.path, { force: true });
    this.pendingTmp = undefined;
  }

  /** Removes one lease of key (lease first: a marker without its lease is simply stale). */
  release(key: string, name: string): void {
    fs.rmSync(path.join(this.dir, name), { force: true });
    crashPoint('after-unlink');
    this.index?.drop(key, name);
    this.byKey?.get(key)?.delete(name);
  }

  /** Removes a file that is no lease of anyone we can name (GC of garbage). */
  removeGarbage(name: string): void {
    fs.rmSync(path.join(this.dir, name), { force: true });
  }

  lastReserved(rangeId: number): Ip | undefined {
    const file = path.join(this.dir, LAST_RESERVED_PREFIX + rangeId);
    try {
      const fd = fs.openSync(file, O.O_RDONLY | O.O_NOFOLLOW | O.O_NONBLOCK);
      try {
        const buf = Buffer.alloc(64);
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        // An unreadable value only costs the round-robin position, as in the reference.
        return parseIp(buf.subarray(0, n).toString('utf8').trim());
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  private writeLastReserved(rangeId: number, name: string): void {
    const file = path.join(this.dir, LAST_RESERVED_PREFIX + rangeId);
    let fd: number;
    try {
      // No O_TRUNC: see overwriteSync.
      fd = fs.openSync(file, O.O_WRONLY | O.O_CREAT | O.O_NOFOLLOW, 0o600);
    } catch (e) {
      if (errCode(e) !== 'ELOOP') throw e;
      log(`host-local: ${file} was a symlink; replacing it with a file`);
      fs.unlinkSync(file);
      fd = fs.openSync(file, O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW, 0o600);
    }
    try {
      overwriteSync(fd, name);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Names in the store directory: used only when round-robin has to skip many taken addresses. */
  takenNames(): Set<string> {
    return new Set(fs.readdirSync(this.dir));
  }

  exists(name: string): boolean {
    try {
      fs.lstatSync(path.join(this.dir, name));
      return true;
    } catch (e) {
      if (errCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  /** Proves a lease could be written: a file is created, synced and removed beside the store. */
  probeWritable(): void {
    const tmp = this.index ? this.index.tmpPath() : path.join(this.dir, `${TMP_PREFIX}probe.${process.pid}`);
    const fd = fs.openSync(tmp, O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, 'probe');
    } finally {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    }
    fs.accessSync(this.dir, fs.constants.W_OK);
  }

  sweepStaleMarkers(): number {
    return this.index?.sweepStale() ?? 0;
  }
}
