// The container side of an operation: a missing netns is "container unknown" (code 3) for
// ADD/CHECK, and something the caller may treat as already-cleaned-up for DEL.
import { CniError, ErrorCode } from '../cni/error';
import { NetnsNotFoundError, openNetns, withNetns } from './netns';

/** Opens the container netns for ADD/CHECK; a missing one is code 3. The caller closes the fd. */
export function openSandbox(netns: string): number {
  try {
    return openNetns(netns);
  } catch (e) {
    if (e instanceof NetnsNotFoundError) throw new CniError(ErrorCode.UnknownContainer, `netns "${netns}" does not exist`);
    throw e;
  }
}

export function inSandbox<T>(netns: string, fn: () => T): T {
  try {
    return withNetns(netns, fn);
  } catch (e) {
    if (e instanceof NetnsNotFoundError) throw new CniError(ErrorCode.UnknownContainer, `netns "${netns}" does not exist`);
    throw e;
  }
}

/** For DEL: runs fn in the netns; returns false when the netns is already gone. */
export function inSandboxIfPresent(netns: string, fn: () => void): boolean {
  if (!netns) return false;
  try {
    withNetns(netns, fn);
    return true;
  } catch (e) {
    if (e instanceof NetnsNotFoundError) return false;
    throw e;
  }
}
