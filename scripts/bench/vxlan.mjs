#!/usr/bin/env node
// vxlan next to a plain bridge network: plugin ADD/DEL wall time (each a spawned process, as a
// runtime calls it) and TCP throughput between two containers, in throwaway namespaces.
//   vxlan:  two "hosts" on a veth underlay, l3 mode, the sender on host A, the receiver on host B
//   bridge: the same plugins' bridge network, both containers on one host
//
//   import { benchVxlan } from './vxlan.mjs'
//   await benchVxlan({ bin: 'dist/bin', quick: false })
//   → { vxlan: { add, del, tcp }, bridge: { add, del, tcp }, ratio: { add, del, tcp }, n }
//   add/del = { p50, p90, max, n } in ms; tcp = { mbps, bytes, seconds }.
//
// CLI: node scripts/bench/vxlan.mjs [--bin DIR] [--quick]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
const summary = (xs) => ({ p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs), n: xs.length });

function sh(argv, input) {
  const r = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

class World {
  constructor() {
    this.names = [];
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tvxb-'));
  }
  netns(role) {
    const name = `tvxb-${role}-${process.pid}-${this.names.length}`;
    sh(['ip', 'netns', 'add', name]);
    this.names.push(name);
    sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }
  cleanup() {
    for (const n of this.names) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function call(binDir, role, hostNs, command, ctr, conf) {
  const env = {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: `id-${ctr}`,
    CNI_NETNS: `/var/run/netns/${ctr}`,
    CNI_IFNAME: 'eth0',
    CNI_PATH: binDir,
  };
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ip', ['netns', 'exec', hostNs, path.join(binDir, role)], { env, input: JSON.stringify(conf), encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${role} ${command} failed: ${r.stdout}${r.stderr}`);
  return { ms, result: r.stdout ? JSON.parse(r.stdout) : undefined };
}

/** ADD then DEL of n containers, timed; returns the timings. */
function addDel(binDir, role, hostNs, conf, w, n) {
  const add = [];
  const del = [];
  const ctrs = Array.from({ length: n }, () => w.netns('ctr'));
  for (const c of ctrs) add.push(call(binDir, role, hostNs, 'ADD', c, conf).ms);
  for (const c of ctrs) del.push(call(binDir, role, hostNs, 'DEL', c, conf).ms);
  for (const c of ctrs) spawnSync('ip', ['netns', 'del', c]);
  return { add: summary(add), del: summary(del) };
}

const RECEIVER = `
const net = require('net');
net.createServer((s) => { let n = 0; const t0 = process.hrtime.bigint();
  s.on('data', (d) => (n += d.length));
  s.on('end', () => { s.end(JSON.stringify({ bytes: n, seconds: Number(process.hrtime.bigint() - t0) / 1e9 })); });
}).listen(5201, () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 60000);`;
const SENDER = `
const net = require('net');
const [host, total, limitMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const chunk = Buffer.alloc(1 << 16, 1);
const s = net.connect({ host, port: 5201 }, () => {
  let sent = 0; const stop = Date.now() + limitMs;
  const pump = () => { while (sent < total && Date.now() < stop) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
});
let r = ''; s.on('data', (d) => (r += d)); s.on('end', () => { process.stdout.write(r); process.exit(0); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });`;

/** Bounded bytes and time: a Node sender in one container, a receiver in the other. */
async function tcp(fromNs, toNs, toIp, bytes, limitMs) {
  const rx = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((res, rej) => {
      rx.stdout.once('data', () => res());
      rx.once('exit', (c) => rej(new Error(`receiver exited ${c}`)));
    });
    const r = spawnSync('ip', ['netns', 'exec', fromNs, process.execPath, '-e', SENDER, toIp, String(bytes), String(limitMs)], { encoding: 'utf8', timeout: limitMs + 20000 });
    if (r.status !== 0) throw new Error(`sender failed: ${r.stderr}`);
    const { bytes: got, seconds } = JSON.parse(r.stdout);
    return { mbps: (got * 8) / seconds / 1e6, bytes: got, seconds };
  } finally {
    rx.kill('SIGKILL');
  }
}

function resolveBinDir(bin) {
  const abs = path.resolve(bin);
  return fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
}

export async function benchVxlan({ bin, quick = false }) {
  const binDir = resolveBinDir(bin);
  const n = quick ? 5 : 20;
  const bytes = quick ? 64 << 20 : 512 << 20;
  const limitMs = quick ? 2000 : 8000;
  const w = new World();
  try {
    // Underlay: two host namespaces joined by one veth pair.
    const [a, b] = [w.netns('hostA'), w.netns('hostB')];
    sh(['ip', '-n', a, 'link', 'add', 'und0', 'type', 'veth', 'peer', 'name', 'und0', 'netns', b]);
    for (const [ns, ip] of [[a, '172.31.9.1'], [b, '172.31.9.2']]) {
      sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'und0']);
      sh(['ip', '-n', ns, 'link', 'set', 'und0', 'up']);
    }
    const peers = [
      { name: 'A', underlayIP: '172.31.9.1', subnet: '10.244.1.0/24' },
      { name: 'B', underlayIP: '172.31.9.2', subnet: '10.244.2.0/24' },
    ];
    const vxConf = (i, host) => ({
      cniVersion: '1.1.0',
      name: 'benchvx',
      type: 'vxlan',
      mode: 'l3',
      vni: 77,
      underlay: { interface: 'und0' },
      network: '10.244.0.0/16',
      nodeSubnet: `10.244.${i + 1}.0/24`,
      peers,
      stateDir: path.join(w.tmp, host, 'state'),
      ipam: { type: 'host-local', dataDir: path.join(w.tmp, host, 'ipam') },
    });
    const brHost = w.netns('hostBr');
    const brConf = {
      cniVersion: '1.1.0',
      name: 'benchbr',
      type: 'bridge',
      bridge: 'bench0',
      isGateway: true,
      ipam: { type: 'host-local', subnet: '10.99.0.0/24', dataDir: path.join(w.tmp, 'br', 'ipam') },
    };

    // Warm-up (first ADD creates the device/bridge), not timed.
    const [wa, wb] = [w.netns('ctr'), w.netns('ctr')];
    const ra = call(binDir, 'vxlan', a, 'ADD', wa, vxConf(0, 'A')).result;
    const rb = call(binDir, 'vxlan', b, 'ADD', wb, vxConf(1, 'B')).result;
    const [x, y] = [w.netns('ctr'), w.netns('ctr')];
    const rx = call(binDir, 'bridge', brHost, 'ADD', x, brConf).result;
    const ry = call(binDir, 'bridge', brHost, 'ADD', y, brConf).result;

    const vx = addDel(binDir, 'vxlan', a, vxConf(0, 'A'), w, n);
    const br = addDel(binDir, 'bridge', brHost, brConf, w, n);
    const ipOf = (r) => r.ips[0].address.split('/')[0];
    const vxTcp = await tcp(wa, wb, ipOf(rb), bytes, limitMs);
    const brTcp = await tcp(x, y, ipOf(ry), bytes, limitMs);
    void ra;
    void rx;
    return {
      n,
      vxlan: { ...vx, tcp: vxTcp },
      bridge: { ...br, tcp: brTcp },
      ratio: { add: vx.add.p50 / br.add.p50, del: vx.del.p50 / br.del.p50, tcp: vxTcp.mbps / brTcp.mbps },
    };
  } finally {
    w.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const r = await benchVxlan({ bin: arg('--bin', path.join(root, 'dist', 'bin')), quick: process.argv.includes('--quick') });
  const f = (v) => v.toFixed(1).padStart(8);
  console.log(`vxlan (l3, 2 hosts) vs bridge (1 host), ${r.n} containers, ${os.cpus().length} CPUs, kernel ${os.release()}`);
  console.log('             |  ADD p50  DEL p50 |  TCP Mbit/s');
  for (const k of ['vxlan', 'bridge']) console.log(`${k.padEnd(12)} | ${f(r[k].add.p50)} ${f(r[k].del.p50)} | ${f(r[k].tcp.mbps)}`);
  console.log(`${'ratio'.padEnd(12)} | ${f(r.ratio.add)} ${f(r.ratio.del)} | ${f(r.ratio.tcp)}`);
}
