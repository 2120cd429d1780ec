// One executable, many names: the role comes from the name it was started under
// (a link in /opt/cni/bin, or a copy of it), or from the first argument when run as "tscni".
import path from 'node:path';
import { trace } from '../cni/trace';

export type Main = (argv: string[]) => Promise<number>;
export type Registry = Record<string, () => Promise<{ main: Main }>>;

export function roleOf(argv0: string, argv: string[], registry: Registry): { role: string; rest: string[] } {
  const base = path.basename(argv0);
  if (registry[base]) return { role: base, rest: argv };
  const first = argv[0];
  if (first && registry[first]) return { role: first, rest: argv.slice(1) };
  return { role: '', rest: argv };
}

export async function runMain(registry: Registry): Promise<void> {
  const { role, rest } = roleOf(process.argv0, process.argv.slice(2), registry);
  if (!role) {
    process.stderr.write(`tscni: run me as one of: ${Object.keys(registry).sort().join(', ')} (a link or copy under that name), or as "tscni <name> …"\n`);
    process.exitCode = 2;
    return;
  }
  trace(`entry: ${role}`);
  const mod = await registry[role]!();
  trace('entry: module loaded');
  const code = await mod.main(rest);
  // stdout/stderr writes are synchronous for files, pipes and TTYs on Linux, so nothing is lost
  // by leaving now; waiting for Node's orderly teardown costs ~10 ms per plugin call.
  trace('entry: done');
  process.exit(code);
}
