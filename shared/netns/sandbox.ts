// The container side of an operation: a missing netns is "container unknown" (code 3) for
// ADD/CHECK, and something the caller may treat as already-cleaned-up for DEL. A CNI_NETNS that
// is not a network namespace is an environment error (code 4) for ADD/CHECK.
import fs from 'node:fs';
import { CniError, ErrorCode } from '../cni/error';
import { log } from '../cni/log';
import { NetnsNotFoundError, NotANetnsError, openNetns, withNetns } from './netns';

function asCniError(e: unknown, netns: string): unknown {
  if (e instanceof NetnsNotFoundError) return new CniError(ErrorCode.UnknownContainer, `netns "${netns}" does not exist`);
  if (e instanceof NotANetnsError) return new CniError(ErrorCode.InvalidEnvironment, e.message);
  return e;
}

/**
 * For ADD/CHECK, before any plugin (chained ones included) reads or changes anything: a CNI_NETNS
 * that exists but is not a network namespace (a file, a directory, another namespace type, not
 * accessible) is code 4 naming what it is. A missing one is left to the plugin (code 3 where it
 * needs the netns; chained plugins that never enter it ignore it, as the reference's do).
 */
export function vetNetnsPath(netns: string): void {
  try {
    fs.closeSync(openNetns(netns));
  } catch (e) {
    if (e instanceof NetnsNotFoundError) return;
    throw asCniError(e, netns);
  }
}

/** Opens the container netns for ADD/CHECK; a missing one is code 3. The caller closes the fd. */
export function openSandbox(netns: string): number {
  try {
    return openNetns(netns);
  } catch (e) {
    throw asCniError(e, netns);
  }
}

export function inSandbox<T>(netns: string, fn: () => T): T {
  try {
    return withNetns(netns, fn);
  } catch (e) {
    throw asCniError(e, netns);
  }
}

/**
 * For DEL: runs fn in the netns; returns false when there is no netns to enter: the path is gone
 * or is not a network namespace (nothing of ours can be inside it, and failing DEL would only
 * make the runtime retry it forever while the host side stays behind).
 */
export function inSandboxIfPresent(netns: string, fn: () => void): boolean {
  if (!netns) return false;
  try {
    withNetns(netns, fn);
    return true;
  } catch (e) {
    if (e instanceof NetnsNotFoundError) return false;
    if (e instanceof NotANetnsError) {
      log(`DEL: ${e.message}; cleaning up the host side only`);
      return false;
    }
    throw e;
  }
}
