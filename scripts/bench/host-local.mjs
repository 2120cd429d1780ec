#!/usr/bin/env node
// host-local alone, ours vs the reference: wall time of ADD+DEL (each a spawned process) with an
// empty store and with 10,000 leases already in it. Our cost must not grow with the lease count.
//
//   import { benchHostLocal } from './host-local.mjs'
//   await benchHostLocal({ ours: 'dist/bin/host-local', ref: '/usr/lib/cni/host-local', iterations: 30 })
//   → { ours: { 0: stats, 10000: stats }, ref: { 0: stats, 10000: stats }, ratio: { 0, 10000 } }
//   stats = { p50, p90, max, n, add: {p50,p90,max}, del: {p50,p90,max} } in milliseconds.
//
// CLI: node scripts/bench/host-local.mjs [--ours PATH] [--ref PATH] [--iterations N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PRESENT = [0, 10_000];

const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
const summary = (xs) => ({ p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs), n: xs.length });

function resolveBin(p) {
  const abs = path.resolve(p);
  return fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? path.join(abs, 'host-local') : abs;
}

/** Leases written as the reference writes them, contiguous from .2, last_reserved_ip after them. */
function populate(storeDir, count) {
  fs.mkdirSync(storeDir, { recursive: true, mode: 0o755 });
  let last = '';
  for (let i = 0; i < count; i++) {
    const n = i + 2;
    last = `10.200.${n >> 8}.${n & 255}`;
    fs.writeFileSync(path.join(storeDir, last), `pre${i}\r\neth0`, { mode: 0o600 });
  }
  if (last) fs.writeFileSync(path.join(storeDir, 'last_reserved_ip.0'), last, { mode: 0o600 });
}

function call(bin, command, id, config) {
  const env = {
    ...process.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: '/var/run/netns/bench-none',
    CNI_IFNAME: 'eth0',
    CNI_PATH: path.dirname(bin),
  };
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, [], { env, input: config, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${bin} ${command} ${id} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return ms;
}

function runCase(bin, present, iterations, work) {
  const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
  const config = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'benchnet',
    type: 'host-local',
    ipam: { type: 'host-local', subnet: '10.200.0.0/16', dataDir },
  });
  populate(path.join(dataDir, 'benchnet'), present);
  // One untimed round: our first call indexes leases it did not write (once, not per call).
  call(bin, 'ADD', 'warm', config);
  call(bin, 'DEL', 'warm', config);
  const add = [];
  const del = [];
  const both = [];
  for (let i = 0; i < iterations; i++) {
    const a = call(bin, 'ADD', `bench${i}`, config);
    const d = call(bin, 'DEL', `bench${i}`, config);
    add.push(a);
    del.push(d);
    both.push(a + d);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { ...summary(both), add: summary(add), del: summary(del) };
}

export async function benchHostLocal({ ours, ref = '/usr/lib/cni/host-local', iterations = 30 }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-bench-hl-'));
  const out = { ours: {}, ref: {}, ratio: {}, iterations };
  try {
    const bins = { ours: resolveBin(ours), ref: resolveBin(ref) };
    for (const present of PRESENT) {
      for (const who of ['ours', 'ref']) out[who][present] = runCase(bins[who], present, iterations, work);
      out.ratio[present] = out.ours[present].p50 / out.ref[present].p50;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const r = await benchHostLocal({
    ours: arg('--ours', path.join(root, 'dist', 'bin', 'host-local')),
    ref: arg('--ref', '/usr/lib/cni/host-local'),
    iterations: Number(arg('--iterations', '30')),
  });
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`host-local ADD+DEL, ${r.iterations} iterations, ${os.cpus().length} CPUs, kernel ${os.release()}`);
  console.log('leases present |  ours p50   p90   max |   ref p50   p90   max | ours/ref p50');
  for (const p of PRESENT) {
    const o = r.ours[p];
    const x = r.ref[p];
    console.log(`${String(p).padStart(14)} | ${f(o.p50)}${f(o.p90)}${f(o.max)} | ${f(x.p50)}${f(x.p90)}${f(x.max)} | ${r.ratio[p].toFixed(2)}`);
  }
}
