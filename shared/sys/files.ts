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
