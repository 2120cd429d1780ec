// tuning STATUS: what would make every ADD fail on this node. ADD writes the originals to
// `dataDir` first and checks each configured sysctl against the allowlist file; so STATUS is
// code 50 when dataDir cannot be created or written, when the allowlist cannot be read or holds
// a bad pattern, or when it forbids a sysctl the network config sets. Nothing is created.
import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import type { TuningConf } from '../../shared/conf/tuning';
import { ALLOWLIST_FILE, checkAllowlist, readAllowlist, sysctlSettings } from '../../shared/conf/tuning-sysctl';

const unavailable = (msg: string, details?: string): CniError => new CniError(ErrorCode.NotAvailable, msg, details);
const why = (e: unknown): string => (e instanceof CniError ? `${e.msg}${e.details ? `: ${e.details}` : ''}` : ((e as NodeJS.ErrnoException).code ?? (e as Error).message));

/** Problem with dataDir, or undefined: it (or its nearest existing ancestor, where ADD would create it) must be a writable directory. */
export function dataDirProblem(dataDir: string): string | undefined {
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dir !== path.dirname(dir)) continue;
      return `${dir}: ${code ?? (e as Error).message}`;
    }
    if (!st.isDirectory()) return `${dir} is not a directory`;
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
      return `${dir} is not writable (${(e as NodeJS.ErrnoException).code})`;
    }
    return undefined;
  }
}

export function cmdStatus(ctx: Context<TuningConf>, allowlistFile = ALLOWLIST_FILE): void {
  const { dataDir } = ctx.conf;
  const dirProblem = dataDirProblem(dataDir);
  if (dirProblem) throw unavailable(`tuning: cannot save original values in dataDir ${dataDir}`, dirProblem);
  // The config's own sysctls (per-container args.cni ones are unknown here); the allowlist
  // matches keys as written, as ADD does, so the interface name does not matter.
  const settings = sysctlSettings(ctx.conf.sysctl ?? {}, 'IFNAME');
  let patterns: RegExp[] | undefined;
  try {
    patterns = readAllowlist(allowlistFile);
  } catch (e) {
    throw unavailable(`tuning: the sysctl allowlist ${allowlistFile} is unusable`, why(e));
  }
  try {
    checkAllowlist(settings, patterns);
  } catch (e) {
    throw unavailable(`tuning: every ADD would be refused: ${why(e)}`);
  }
}
