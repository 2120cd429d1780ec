// The values tuning replaced, kept in dataDir as <containerID>_<ifname>.json so DEL can put
// them back. The reference's file name and fields (mac, promisc, mtu, allmulti) are kept, so
// either implementation can restore what the other saved; txQLen and sysctl are additions.
import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { log } from '../../shared/cni/log';
import type { Attachment } from '../../shared/cni/owner';
import { readTextIfExists } from '../../shared/sys/files';

export interface SavedState {
  /** The network whose attachment saved this (ours; the reference ignores it). Only that
   *  network's DEL or GC may restore from it or remove it. */
  network?: string;
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
  /** Original value per sysctl path (slash form under /proc/sys). */
  sysctl?: Record<string, string>;
}

/** Host lock held while a state file is read and then rewritten or removed. */
export const STATE_LOCK = 'tuning-state';

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

/** A temp file's writer is gone (its pid is in the name): nobody will rename it any more. */
function writerGone(name: string): boolean {
  const pid = Number(/tmp-(\d+)$/.exec(name)?.[1]);
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether this network may remove the file: it saved it. Files without an owner (written by
 *  the reference or an older tscni) may belong to any network's attachment: they are left. */
function ownedBy(dataDir: string, name: string, network: string): boolean {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dataDir, name), 'utf8'));
    return v?.network === network;
  } catch {
    return false;
  }
}

/**
 * GC: removes this network's state files of attachments not in the valid list, and temp files
 * whose writer is gone. A container id may hold '_', so files are matched against the valid
 * names, never split.
 */
export function gcStates(dataDir: string, network: string, valid: Attachment[]): string[] {
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
      keep.add(stateFileName(a.containerId, a.ifname));
    } catch {
      /* an attachment that could never have had a file */
    }
  }
  const removed: string[] = [];
  for (const n of names) {
    const isState = /^[a-zA-Z0-9][^/]*_[^/]+\.json$/.test(n);
    const isTemp = /^\..+\.json\.tmp-\d+$/.test(n);
    if ((isState && !keep.has(n) && ownedBy(dataDir, n, network)) || (isTemp && writerGone(n))) {
      fs.rmSync(path.join(dataDir, n), { force: true });
      removed.push(n);
    }
  }
  return removed;
}
