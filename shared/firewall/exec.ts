// Spawning the firewall tools. Always synchronous (the plugin may be inside withNetns) and always
// an argv array, never a shell string: rule text travels on stdin.
import { childProcess } from '../sys/builtins';
import fs from 'node:fs';
import path from 'node:path';

// Runtimes often start plugins with a minimal PATH: the sbin dirs are where these tools live.
const FALLBACK_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin'];
const found = new Map<string, string | undefined>();

/** Absolute path of an executable on PATH (or the usual sbin dirs); undefined when absent. */
export function findExecutable(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...FALLBACK_DIRS];
  let hit: string | undefined;
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      hit = p;
      break;
    } catch {
      /* keep looking */
    }
  }
  found.set(name, hit);
  return hit;
}

interface ToolResult {
  ok: boolean;
  status: number;
  stdout: string;
  stderr: string;
}

class ToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} not found on PATH`);
  }
}

/** Runs a tool; the caller decides what a failure means. */
export function runTool(name: string, args: string[], input?: string): ToolResult {
  const exe = findExecutable(name);
  if (!exe) throw new ToolMissingError(name);
  const r = childProcess().spawnSync(exe, args, { input, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) return { ok: false, status: -1, stdout: '', stderr: r.error.message };
  return { ok: r.status === 0, status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
