// Small file operations the state files share.
import fs from 'node:fs';
import { sleepSync } from './sleep';

/** The file's text, or undefined when it does not exist; any other error is thrown. */
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Writes all of it to an fd synchronously: the way our roles print (process.stdout would build a
 * stream stack, ~3 ms and ~2 MB, and its queued writes are lost to the fast exit when a slow
 * reader lets the pipe fill). Waits on EAGAIN (an fd someone made non-blocking) instead of failing.
 */
export function writeAllSync(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      sleepSync(1);
    }
  }
}

/**
 * Replaces the whole content of a small file opened for writing without O_TRUNC: written over
 * from offset 0, then cut to its new length. Truncating to zero would free the file's block, and
 * on ext4 mounted with `discard` (common on cloud VMs, and the test VM) that free waits for a
 * synchronous discard of the block: 1–2 ms per write when idle, tens under I/O load (seen in the
 * kernel's stacks of a bridge ADD: open(O_TRUNC) → ext4_truncate → blkdev_issue_discard).
 * A crash between the two steps leaves the new text followed by the old text's tail; the files
 * written this way are hints that a reader double-checks (round-robin position, index stamp).
 */
export function overwriteSync(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, off);
  fs.ftruncateSync(fd, buf.length);
}
