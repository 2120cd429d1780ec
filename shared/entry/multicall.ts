// One executable, many names: the role comes from the name it was started under
// (a link in /opt/cni/bin, or a copy of it), or from the first argument when run as "tscni".
import path from 'node:path';
import { trace, traceMemory } from '../cni/trace';

export type Main = (argv: string[]) => Promise<number>;
/** CNI plugins answer the CNI protocol (VERSION included); tools (cnitool, vxlan-sync) have their own CLI. */
export type RoleKind = 'plugin' | 'tool';
/** A role's module: its main, and (in the executable) its bundle's exitAtOnce (shared/sys/libc.ts). */
export interface RoleModule {
  main: Main;
  __exitAtOnce?: (code: number) => void;
}
export type Registry = Record<string, () => Promise<RoleModule>>;

export function roleOf(argv0: string, argv: string[], roles: readonly string[]): { role: string; rest: string[] } {
  const base = path.basename(argv0);
  if (roles.includes(base)) return { role: base, rest: argv };
  const first = argv[0];
  if (first && roles.includes(first)) return { role: first, rest: argv.slice(1) };
  return { role: '', rest: argv };
}

export function usage(kinds: Record<string, RoleKind>): string {
  const of = (k: RoleKind): string => Object.keys(kinds).filter((r) => kinds[r] === k).sort().join(', ');
  return `tscni: run me as one of the CNI plugins ${of('plugin')} or the tools ${of('tool')} (a link or copy under that name), or as "tscni <name> …"\n`;
}

/** Loads the role, runs its main and leaves with its exit code. */
export async function runRole(role: string, load: () => Promise<RoleModule> | RoleModule, rest: string[]): Promise<never> {
  trace(`entry: ${role}`);
  const mod = await load();
  trace('entry: module loaded');
  const code = await mod.main(rest);
  traceMemory('entry: done');
  // Waiting for Node's orderly teardown costs ~10 ms per plugin call, so leave at once. Nothing
  // is lost: roles print with synchronous writes to fds 1 and 2 (writeAllSync), never through
  // process.stdout, whose writes to a full pipe are queued (and whose set-up alone costs ~3 ms and
  // ~2 MB of a VERSION call). The role's own bundle holds koffi when the call loaded it (boot's
  // copy of shared/sys never does), so it is the one asked to leave through _exit.
  mod.__exitAtOnce?.(code);
  process.exit(code);
}

/** The dev bundle's entry: every role in one file, each initialised only when it runs. */
export async function runMain(registry: Registry, kinds: Record<string, RoleKind>): Promise<void> {
  const { role, rest } = roleOf(process.argv0, process.argv.slice(2), Object.keys(registry));
  if (!role) {
    process.stderr.write(usage(kinds));
    process.exitCode = 2;
    return;
  }
  await runRole(role, registry[role]!, rest);
}
