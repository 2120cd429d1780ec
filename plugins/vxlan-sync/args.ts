// vxlan-sync's command line:
//   vxlan-sync [--once] CONF     join the network, reconcile the kernel once, exit
//   vxlan-sync --watch CONF      the same, then keep the lease alive and follow the store
//   vxlan-sync --leave CONF      leave the network for good (revoke this host's lease)
// CONF is a conflist (its vxlan plugin is used) or a single vxlan plugin config.
export type SyncMode = 'once' | 'watch' | 'leave';

export interface SyncArgs {
  mode: SyncMode;
  file: string;
  /** --resync SECONDS: full re-read of the store besides the watch (default 30). */
  resyncSeconds: number;
}

export const USAGE = 'usage: vxlan-sync [--once | --watch | --leave] [--resync SECONDS] CONFFILE (a conflist or a vxlan plugin config)';

export function parseSyncArgs(argv: readonly string[]): SyncArgs | string {
  let mode: SyncMode = 'once';
  let file: string | undefined;
  let resyncSeconds = 30;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--watch' || a === '--once' || a === '--leave') mode = a.slice(2) as SyncMode;
    else if (a === '--resync') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) return `--resync needs a whole number of seconds ≥ 1`;
      resyncSeconds = v;
    } else if (a === '-h' || a === '--help') return USAGE;
    else if (a.startsWith('-')) return `unknown option ${a}\n${USAGE}`;
    else if (file === undefined) file = a;
    else return `one config file only (got ${file} and ${a})\n${USAGE}`;
  }
  if (!file) return `a config file is required\n${USAGE}`;
  return { mode, file, resyncSeconds };
}
