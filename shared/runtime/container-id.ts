// cnitool has no container runtime behind it, so it names the "container" after its netns:
// the same netns path always yields the same id, which is what makes ADD/DEL pairs match.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The netns argument as cnitool sees it: made absolute against the working directory. */
export function absoluteNetns(netns: string, cwd: string = process.cwd()): string {
  return path.resolve(cwd, netns);
}

/** `cnitool-` + the first 10 bytes of sha512(absolute netns path), in hex. */
export function containerIdFromNetns(netns: string, cwd?: string): string {
  const abs = absoluteNetns(netns, cwd);
  return `cnitool-${createHash('sha512').update(abs).digest().subarray(0, 10).toString('hex')}`;
}

/**
 * The working directory as Go's os.Getwd reports it: $PWD when it names the current directory
 * (so a path through a symlink such as /var/run stays as the user typed it), else the real one.
 */
export function goGetwd(env: NodeJS.ProcessEnv = process.env): string {
  const real = process.cwd();
  const pwd = env.PWD;
  if (pwd && path.isAbsolute(pwd)) {
    try {
      const a = fs.statSync(pwd);
      const b = fs.statSync('.');
      if (a.dev === b.dev && a.ino === b.ino) return pwd;
    } catch {
      /* fall back to the real path */
    }
  }
  return real;
}
