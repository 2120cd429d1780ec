// Throwaway network namespaces for tests: every "host" and "container" a test uses is one of
// these, removed in afterAll even when the test failed. Tests may use ip(8); plugins may not.
import { execFileSync, spawnSync } from 'node:child_process';

let counter = 0;
const live = new Set<string>();

export function sh(argv: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input: opts.input, encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout ?? '';
}

/** Creates a netns named <prefix>-<pid>-<n>, with lo up (and forwarding on, like a host). */
export function createNetns(prefix: string): string {
  const name = `${prefix}-${process.pid}-${counter++}`;
  execFileSync('ip', ['netns', 'add', name]);
  live.add(name);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

export function inNetns(name: string, argv: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  return sh(['ip', 'netns', 'exec', name, ...argv], opts);
}

export function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
  live.delete(name);
}

export function deleteAllNetns(): void {
  for (const n of [...live]) deleteNetns(n);
}

/** Names of netns this process made that still exist (a leak check). */
export function leakedNetns(): string[] {
  const all = sh(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]);
  return all.filter((n) => n && n.includes(`-${process.pid}-`));
}
