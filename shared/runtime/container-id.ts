// cnitool has no container runtime behind it, so it names the "container" after its netns:
// the same netns path always yields the same id, which is what makes ADD/DEL pairs match.
import { createHash } from 'node:crypto';
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
