// Plugin lookup on CNI_PATH, as libcni's FindInPath: the first regular file (after following
// links, so a multi-call executable's links count) named exactly `type`.
import fs from 'node:fs';
import path from 'node:path';
import { goList, goQuote } from './go-json';

export class PluginNotFoundError extends Error {}

/** CNI_PATH split like Go's filepath.SplitList; empty entries are dropped (they mean the cwd). */
export function splitCniPath(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p !== '');
}

export function findInPath(type: string, paths: readonly string[]): string {
  if (type === '') throw new PluginNotFoundError('no plugin name provided');
  if (type.includes('/')) throw new PluginNotFoundError(`invalid plugin name: ${type}`);
  if (paths.length === 0) throw new PluginNotFoundError('no paths provided');
  for (const dir of paths) {
    const full = path.join(dir, type);
    try {
      if (fs.statSync(full).isFile()) return full;
    } catch {
      /* not here: try the next directory */
    }
  }
  throw new PluginNotFoundError(`failed to find plugin ${goQuote(type)} in path ${goList(paths)}`);
}
