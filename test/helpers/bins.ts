// Runs the built executables the way a runtime does: env + stdin in, stdout/exit code out.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** TSCNI_BIN_DIR points the tests at another build (e.g. a --dev build in /tmp). */
export const binDir = process.env.TSCNI_BIN_DIR ? path.resolve(process.env.TSCNI_BIN_DIR) : path.join(repoRoot, 'dist', 'bin');

export function bin(role: string): string {
  const p = path.join(binDir, role);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run npm run build first`);
  return p;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer | object;
  /** Run inside this netns (ip netns exec), like a plugin started on that "host". */
  netns?: string;
  timeoutMs?: number;
  /** Another build's bin dir (e.g. the previous release, for upgrade-in-place tests). */
  binDir?: string;
}

export function run(role: string, opts: RunOptions = {}): RunResult {
  const input = opts.stdin === undefined ? '' : typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin) ? opts.stdin : JSON.stringify(opts.stdin);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  const exe = opts.binDir ? path.join(opts.binDir, role) : bin(role);
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, exe] : [exe];
  const r = spawnSync(argv[0]!, argv.slice(1), { input, env, encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 });
  let json: any;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json };
}

/** The env a runtime sets for one verb. */
export function cniEnv(command: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { CNI_COMMAND: command, CNI_PATH: binDir, ...extra };
}
