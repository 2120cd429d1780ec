// Whether a cached attachment's netns still exists. A path that is there but no longer an nsfs
// mount (the mount point left after `umount`, or a reused name) counts as gone: GC would
// otherwise keep attachments whose container died.
import fs from 'node:fs';

const NSFS_MAGIC = 0x6e736673;

export function isLiveNetns(path: string): boolean {
  if (!path) return false;
  try {
    return fs.statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}
