// The values tuning replaced, kept in dataDir as <containerID>_<ifname>.json so DEL can put
// them back. The reference's file name and fields (mac, promisc, mtu, allmulti) are kept, so
// either implementation can restore what the other saved; txQLen and sysctl are additions.
import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { log } from '../../shared/cni/log';
import type { Attachment } from '../../shared/cni/netconf';
import { readTextIfExists } from '../../shared/sys/files';

export interface SavedState {
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
  /** Original value per sysctl path (slash form under /proc/sys). */
  sysctl?: Record<string, string>;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/** The file name, after re-checking both halves: they become a path. */
export function stateFileName(containerId: string, ifname: string): string {
  if (!ID_RE.test(containerId)) throw new CniError(ErrorCode.InvalidEnvironment, `invalid container id "${containerId}" for a tuning state file`);
  if (!ifname || /[/\0]/.test(ifname) || ifname === '.' || ifname === '..') {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid interface name "${ifname}" for a tuning state file`);
  }
  return `${containerId}_${ifname}.json`;
}

const filePath = (dataDir: string, containerId: string, ifname: string): string => path.join(dataDir, stateFileName(containerId, ifname));

export function readState(dataDir: string, containerId: string, ifname: string): SavedState | undefined {
  const file = filePath(dataDir, containerId, ifname);
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as SavedState;
  } catch {
    /* reported below */
  }
  // The reference ignores an unreadable file too: nothing can be restored from it.
  log(`ignoring corrupt tuning state file ${file}`);
  return undefined;
}

/** Written to a temp file and renamed, so a crash leaves either the old file or the new one. */
export function writeState(dataDir: string, containerId: string, ifname: string, s: SavedState): void {
  const file = filePath(dataDir, containerId, ifname);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dataDir, `.${path.basename(file)}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(s, null, 1), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeState(dataDir: string, containerId: string, ifname: string): void {
  fs.rmSync(filePath(dataDir, containerId, ifname), { force: true });
}

/**
 * GC: removes state files (and stale temp files) of attachments not in the valid list.
 * A container id may hold '_', so files are matched against the valid names, never split.
 */
export function gcStates(dataDir: string, valid: Attachment[]): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dataDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const keep = new Set<string>();
  for (const a of valid) {
    try {
      keep.add(stateFileName(a.containerID, a.ifname));
    } catch {
      /* an attachment that could never have had a file */
    }
  }
  const removed: string[] = [];
  for (const n of names) {
    const isState = /^[a-zA-Z0-9][^/]*_[^/]+\.json$/.test(n);
    const isTemp = /^\..+\.json\.tmp-\d+$/.test(n);
    if ((isState && !keep.has(n)) || isTemp) {
      fs.rmSync(path.join(dataDir, n), { force: true });
      removed.push(n);
    }
  }
  return removed;
}
