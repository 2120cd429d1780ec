// One process start, ours next to its floor: wall time of a VERSION call and its peak RSS for
// each executable, measured interleaved (run i of every executable before run i+1 of any), so
// load on the machine hits all of them alike.
//
//   import { buildFloor, measureStartup } from './startup.mjs'
//   const floor = buildFloor(root, tmp)            → { hello, postject } (executables built here)
//   measureStartup({ label: path, … }, { runs })   → { label: { p50, p90, max, n, rssKB } }
//
// Peak RSS is mostly the Node binary's own pages mapped from the page cache, and how many get
// mapped depends on how the file sits in the cache (a freshly written copy maps more, by up to
// 15 MB). So every executable is synced and dropped from the cache first, then warmed by the
// same runs: all of them are then read the same way.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const quantile = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
export const stats = (xs) => ({ p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs), n: xs.length });

/** The hello-world SEA (the floor) and our suite packaged by postject instead of pkg. */
export function buildFloor(root, tmp) {
  const out = { hello: path.join(tmp, 'hello'), postject: path.join(tmp, 'postject') };
  process.stderr.write('  building the hello-world SEA and the postject-packaged suite …\n');
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--hello', '--out', out.hello], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--packager', 'postject', '--out', out.postject], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { hello: path.join(out.hello, 'hello'), postjectDir: out.postject };
}

/** Drops a file's pages from the page cache (written back first), so every executable starts cold. */
export function uncache(file) {
  const real = fs.realpathSync(file);
  spawnSync('sync', [real]);
  spawnSync('dd', [`if=${real}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/** Peak RSS in KiB of one run, from GNU time (the kernel's ru_maxrss of the child). */
export function peakRssKB(bin, env, input = '') {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', bin], { env, input, encoding: 'utf8' });
  const last = (r.stderr || '').trim().split('\n').at(-1);
  const kb = Number(last);
  return Number.isFinite(kb) ? kb : NaN;
}

export function measureStartup(bins, { runs = 40, rssRuns = 10 } = {}) {
  const labels = Object.keys(bins);
  for (const l of labels) uncache(bins[l]);
  const env = { CNI_COMMAND: 'VERSION', PATH: process.env.PATH };
  const times = Object.fromEntries(labels.map((l) => [l, []]));
  const rss = Object.fromEntries(labels.map((l) => [l, []]));
  const warm = 3;
  for (let i = 0; i < runs + warm; i++) {
    for (const l of labels) {
      const t0 = process.hrtime.bigint();
      spawnSync(bins[l], [], { env, input: '' });
      if (i >= warm) times[l].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  if (fs.existsSync('/usr/bin/time')) {
    for (let i = 0; i < rssRuns; i++) for (const l of labels) rss[l].push(peakRssKB(bins[l], env));
  }
  return Object.fromEntries(labels.map((l) => [l, { ...stats(times[l]), rssKB: quantile(rss[l], 0.5) }]));
}
