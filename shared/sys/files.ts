// Small file operations the state files share.
import fs from 'node:fs';

/** The file's text, or undefined when it does not exist; any other error is thrown. */
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
