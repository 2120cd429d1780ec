// On-disk state of one overlay network on this host (flannel keeps the same):
//   <stateDir>/<network>/lock                         flock around device and peer changes
//   <stateDir>/<network>/<containerId>-<ifname>.json  the rendered bridge config used at ADD,
//                                                     so DEL undoes exactly what ADD did
//   <stateDir>/<network>/lease.json                   the store membership (store/cache.ts): not
//                                                     an attachment, never GC'ed as one
import fs from 'node:fs';
import path from 'node:path';
import type { Attachment } from '../cni/owner';
import { withLockFile } from '../sys/flock';

/** The store membership file beside the attachments (see store/cache.ts). */
export const MEMBERSHIP_FILE = 'lease.json';

export const DEFAULT_STATE_DIR = '/var/lib/cni/vxlan';

export const networkDir = (stateDir: string, network: string): string => path.join(stateDir, network);

// Container ids and ifnames are validated by the skeleton, but '/' must never reach a path.
const fileName = (containerId: string, ifname: string): string => `${containerId}-${ifname}.json`.replace(/\//g, '_');

interface SavedAttachment extends Attachment {
  delegate: object;
}

export function saveDelegate(stateDir: string, network: string, containerId: string, ifname: string, conf: object): void {
  const dir = networkDir(stateDir, network);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, fileName(containerId, ifname));
  const tmp = `${file}.tmp-${process.pid}`;
  const saved: SavedAttachment = { containerId, ifname, delegate: conf };
  fs.writeFileSync(tmp, JSON.stringify(saved), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The saved file's content, when it is this attachment's: "<cid>-<ifname>" is ambiguous (cid
 *  "a-b" with "c", cid "a" with "b-c"), so the owner recorded inside decides, never the name. */
function readOwned(file: string, containerId: string, ifname: string): Partial<SavedAttachment> | undefined {
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedAttachment>;
    return saved.containerId === containerId && saved.ifname === ifname ? saved : undefined;
  } catch (e) {
    // A missing or torn file means: re-render from the current config.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export function loadDelegate(stateDir: string, network: string, containerId: string, ifname: string): Record<string, unknown> | undefined {
  const saved = readOwned(path.join(networkDir(stateDir, network), fileName(containerId, ifname)), containerId, ifname);
  return saved?.delegate && typeof saved.delegate === 'object' ? (saved.delegate as Record<string, unknown>) : undefined;
}

/** Removes the attachment's file, unless another attachment (same file name) owns it. */
export function removeDelegate(stateDir: string, network: string, containerId: string, ifname: string): void {
  const file = path.join(networkDir(stateDir, network), fileName(containerId, ifname));
  let owner: Partial<SavedAttachment> | undefined;
  try {
    owner = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedAttachment>;
  } catch {
    owner = undefined; // missing or torn: nobody's, remove it
  }
  if (owner && owner.containerId !== undefined && (owner.containerId !== containerId || owner.ifname !== ifname)) return;
  fs.rmSync(file, { force: true });
}

/** Saved attachments as { file, containerId, ifname } (parsed from the saved config). */
export function listDelegates(stateDir: string, network: string): { file: string; containerId?: string; ifname?: string }[] {
  const dir = networkDir(stateDir, network);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  // An attachment file name always holds '-' (<cid>-<ifname>.json), so lease.json cannot be one.
  return names
    .filter((n) => n.endsWith('.json') && n !== MEMBERSHIP_FILE)
    .map((n) => {
      const file = path.join(dir, n);
      try {
        const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedAttachment>;
        return { file, containerId: j.containerId, ifname: j.ifname };
      } catch {
        return { file };
      }
    });
}

/** Runs fn holding the network's lock (serialises concurrent ADD/DEL on one host). */
export async function withNetworkLock<T>(stateDir: string, network: string, fn: () => Promise<T>): Promise<T> {
  const dir = networkDir(stateDir, network);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLockFile(path.join(dir, 'lock'), fn);
}
