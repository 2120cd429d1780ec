// An index from owner (containerID + ifname) to its leases, so ADD's duplicate check, DEL and
// CHECK cost the same with 10 or 10,000 leases. It lives beside the store, never inside it
// (the reference walks the store directory and must see only its own kind of files):
//
//   <dataDir>/.tscni/<network>/owners/<sha256(key)>/<ip>   hard link to <dataDir>/<network>/<ip>
//   <dataDir>/.tscni/<network>/tmp/                        lease bodies being written
//   <dataDir>/.tscni/<network>/stamp                       the store dir's stat after our last change
//
// A marker is valid while it is the same inode as the lease file of that name, so a lease the
// reference released (or released and handed out again) can never be mistaken for ours. The
// stamp tells whether anyone else changed the store since we last indexed it; when it differs
// the store is scanned once and every lease is (re)indexed. ".tscni" cannot be a network name
// (names start with a letter or digit), so it never collides with a network's directory.
import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../sys/sha256';
import { overwriteSync } from '../sys/files';

const O = fs.constants;

export const SIDE_DIR = '.tscni';

const hashKey = (key: string): string => sha256Hex(key);

let tmpSeq = 0;
/**
 * A temp name unique among live processes (pid) and within one (sequence); temp files are only
 * made under the store lock, and those of a killed process are swept before the next use.
 */
export const tmpName = (): string => `${process.pid}.${Date.now().toString(36)}.${tmpSeq++}`;

export function dirStamp(dir: string): string {
  const st = fs.lstatSync(dir, { bigint: true });
  return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function inode(p: string): bigint | undefined {
  try {
    const st = fs.lstatSync(p, { bigint: true });
    return st.isFile() ? st.ino : undefined;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

export class OwnerIndex {
  readonly owners: string;
  readonly tmp: string;
  readonly stampFile: string;

  constructor(
    readonly root: string,
    readonly storeDir: string,
  ) {
    this.owners = path.join(root, 'owners');
    this.tmp = path.join(root, 'tmp');
    this.stampFile = path.join(root, 'stamp');
  }

  /** Creates the side directories; false when they cannot share a filesystem with the store. */
  static open(dataDir: string, network: string, storeDir: string): OwnerIndex | undefined {
    const base = path.join(dataDir, SIDE_DIR);
    const root = path.join(base, network);
    const idx = new OwnerIndex(root, storeDir);
    const isDir = (d: string): boolean => fs.lstatSync(d, { throwIfNoEntry: false })?.isDirectory() ?? false;
    // Created once per network; later calls only check (a symlink planted in place of ours fails).
    if (!isDir(idx.owners) || !isDir(idx.tmp)) {
      fs.mkdirSync(idx.owners, { recursive: true, mode: 0o700 });
      fs.mkdirSync(idx.tmp, { recursive: true, mode: 0o700 });
    }
    for (const d of [base, root, idx.owners, idx.tmp]) if (!isDir(d)) return undefined;
    // Hard links and renames need one filesystem.
    if (fs.statSync(root).dev !== fs.statSync(storeDir).dev) return undefined;
    return idx;
  }

  isCurrent(): boolean {
    let saved: string;
    try {
      const fd = fs.openSync(this.stampFile, O.O_RDONLY | O.O_NOFOLLOW);
      try {
        saved = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return false;
    }
    return saved === dirStamp(this.storeDir);
  }

  saveStamp(): void {
    // No O_TRUNC: see overwriteSync.
    const fd = fs.openSync(this.stampFile, O.O_WRONLY | O.O_CREAT | O.O_NOFOLLOW, 0o600);
    try {
      overwriteSync(fd, dirStamp(this.storeDir));
    } finally {
      fs.closeSync(fd);
    }
  }

  invalidate(): void {
    fs.rmSync(this.stampFile, { force: true });
  }

  tmpPath(): string {
    return path.join(this.tmp, tmpName());
  }

  /** Turns the temp file a lease was linked from into its marker. */
  adoptTmp(tmp: string, key: string, name: string): void {
    const dir = path.join(this.owners, hashKey(key));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.renameSync(tmp, path.join(dir, name));
  }

  /** Indexes a lease found by a scan (made by the reference, or by a process that died). */
  adoptLease(key: string, name: string, leaseIno: bigint): void {
    const dir = path.join(this.owners, hashKey(key));
    const marker = path.join(dir, name);
    if (inode(marker) === leaseIno) return;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = this.tmpPath();
    fs.linkSync(path.join(this.storeDir, name), tmp);
    fs.renameSync(tmp, marker);
  }

  /** Lease names of an owner key; markers whose lease is gone or replaced are dropped. */
  lookup(key: string): string[] {
    const dir = path.join(this.owners, hashKey(key));
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
    const valid: string[] = [];
    for (const name of names) {
      const m = inode(path.join(dir, name));
      if (m !== undefined && m === inode(path.join(this.storeDir, name))) valid.push(name);
      else fs.rmSync(path.join(dir, name), { force: true });
    }
    if (valid.length === 0) this.tryRmdir(dir);
    return valid;
  }

  drop(key: string, name: string): void {
    const dir = path.join(this.owners, hashKey(key));
    fs.rmSync(path.join(dir, name), { force: true });
    this.tryRmdir(dir);
  }

  private tryRmdir(dir: string): void {
    try {
      fs.rmdirSync(dir);
    } catch {
      /* not empty, or already gone */
    }
  }

  /** Under the lock no temp file is in use: whatever is there was left by a killed process. */
  sweepTmp(): void {
    for (const n of fs.readdirSync(this.tmp)) fs.rmSync(path.join(this.tmp, n), { force: true });
  }

  /** Drops every marker whose lease is gone (GC): markers of leases the reference released. */
  sweepStale(): number {
    let dropped = 0;
    for (const h of fs.readdirSync(this.owners)) {
      const dir = path.join(this.owners, h);
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const m = inode(path.join(dir, name));
        if (m === undefined || m !== inode(path.join(this.storeDir, name))) {
          fs.rmSync(path.join(dir, name), { force: true });
          dropped++;
        }
      }
      this.tryRmdir(dir);
    }
    return dropped;
  }
}
