// Suites that need software outside npm (podman, containerd, etcd) install it on demand. When it
// cannot be installed they may skip on a developer's machine, but never under CI=true: there a
// skipped suite would look like a passing one, so a failing test takes its place.
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

/** `apt-get update` then `apt-get install`; a fresh machine's package lists may be empty or stale. */
export function aptInstall(packages: string[], opts: { recommends?: boolean } = {}): string {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const out: string[] = [];
  for (const argv of [['update', '-qq'], ['install', '-y', ...(opts.recommends ? [] : ['--no-install-recommends']), ...packages]]) {
    const r = spawnSync('apt-get', argv, { env, encoding: 'utf8', timeout: 600_000 });
    out.push(`apt-get ${argv.join(' ')}: exit ${r.status ?? r.error?.message}${r.status === 0 ? '' : `: ${(r.stderr || r.stdout || '').slice(-300)}`}`);
    if (r.status !== 0) break;
  }
  return out.join('\n');
}

export const inCi = (): boolean => process.env.CI === 'true';

/**
 * True when the suite must be skipped because `missing` says what is not there. Under CI=true
 * it registers a failing test naming what is missing (and still returns true, so the suite's
 * own tests do not run against a half-installed machine).
 */
export function skipWithout(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (inCi()) {
    it(`${suite}: prerequisites are installed (CI=true does not allow skipping)`, () => {
      throw new Error(`${suite} cannot run: ${missing}`);
    });
  } else {
    console.warn(`${suite} skipped: ${missing}`);
  }
  return true;
}
