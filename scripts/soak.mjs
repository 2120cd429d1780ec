#!/usr/bin/env node
// npm run soak: a seeded random sequence of ADD/DEL/CHECK/GC with faults (SIGKILL mid-ADD and
// mid-DEL, netns gone before DEL, repeated DEL, GC with partial valid lists, a deliberate host
// port conflict, a stale second DEL after another container took the ports, a mixed-ingressPolicy
// firewall step from soak-firewall.mjs), over two network names shared by our plugins and the
// reference 1.1.1 ones (same host-local store, same bridges). After the final DEL/GC of
// everything it asserts that nothing of ours is left: no lease, no veth, no nft element or
// per-network chain, no per-container iptables chain, no firewall entry.
//
//   node scripts/soak.mjs [--ops 1000] [--seed N] [--bin DIR] [--json] [--verbose]
//
// The driver is its own small runtime (the way libcni runs a list) so that it can kill a plugin
// at a random moment. It creates a throwaway host netns and re-runs itself inside it with
// `ip netns exec`, so every plugin it starts inherits that host; nothing touches the machine's
// own namespace. Exit 0 = no unexpected failure and no leak.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firewallLeaks, makeFirewallStep } from './soak-firewall.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REF_DIR = '/usr/lib/cni';

function parseArgs(argv) {
  const o = { ops: 1000, seed: Date.now() % 1_000_000, bin: process.env.TSCNI_BIN_DIR || path.join(root, 'dist', 'bin'), json: false, verbose: false, inner: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ops') o.ops = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--bin') o.bin = path.resolve(argv[++i]);
    else if (a === '--json') o.json = true;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--inner') o.inner = JSON.parse(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.ops) || o.ops < 1) throw new Error('--ops must be a positive integer');
  return o;
}

// ---------------------------------------------------------------- outer: the throwaway host

function outer(opts) {
  if (!fs.existsSync(path.join(opts.bin, 'bridge'))) throw new Error(`${opts.bin}/bridge is missing: build first (node scripts/build.mjs)`);
  const tag = `tsk-soak-${process.pid}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-soak-'));
  execFileSync('ip', ['netns', 'add', tag]);
  try {
    execFileSync('ip', ['-n', tag, 'link', 'set', 'lo', 'up']);
    const inner = { host: tag, tmp, ctrPrefix: `${tag}-c` };
    const args = [fileURLToPath(import.meta.url), '--ops', String(opts.ops), '--seed', String(opts.seed), '--bin', opts.bin, '--inner', JSON.stringify(inner)];
    if (opts.verbose) args.push('--verbose');
    const r = spawnSync('ip', ['netns', 'exec', tag, process.execPath, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      throw new Error(`soak driver failed (exit ${r.status}, signal ${r.signal}): ${r.stdout}`);
    }
    return report;
  } finally {
    for (const n of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) {
      if (n.startsWith(`${tag}-`)) spawnSync('ip', ['netns', 'del', n]);
    }
    spawnSync('ip', ['netns', 'del', tag]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- inner: the runtime

/** mulberry32: small, seedable, good enough to pick operations reproducibly. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

const NETS = {
  tsknft: { bridge: 'tska', ranges: [[{ subnet: '10.231.0.0/24' }], [{ subnet: 'fd31:0:0:1::/64' }]], gcVariant: 'ours-nft' },
  tskipt: { bridge: 'tskb', ranges: [[{ subnet: '10.231.1.0/24' }]], gcVariant: 'ours-ipt' },
};

/**
 * The four configurations: two network names, each used by a 1.1.0 list of ours and by a
 * ≤ 1.0.0 list that brings in reference plugins on the same store and bridge.
 */
function variants(bin, dataDir) {
  const ipam = (net) => ({ type: 'host-local', dataDir, ranges: NETS[net].ranges });
  const bridge = (net, backend) => ({ type: 'bridge', bridge: NETS[net].bridge, isGateway: true, ipMasq: true, ...(backend ? { ipMasqBackend: backend } : {}), ipam: ipam(net) });
  const portmap = (backend) => ({ type: 'portmap', capabilities: { portMappings: true }, ...(backend ? { backend } : {}) });
  return {
    'ours-nft': { net: 'tsknft', cniVersion: '1.1.0', ours: true, cniPath: [bin], plugins: [{ dir: bin, conf: bridge('tsknft', 'nftables') }, { dir: bin, conf: portmap('nftables') }], portBackend: 'nftables' },
    // our bridge delegating to the reference host-local (found first on CNI_PATH).
    'mixed-nft': { net: 'tsknft', cniVersion: '1.0.0', ours: true, cniPath: [REF_DIR, bin], plugins: [{ dir: bin, conf: bridge('tsknft', 'nftables') }, { dir: bin, conf: portmap('nftables') }], portBackend: 'nftables' },
    'ours-ipt': { net: 'tskipt', cniVersion: '1.1.0', ours: true, cniPath: [bin], plugins: [{ dir: bin, conf: bridge('tskipt', 'iptables') }, { dir: bin, conf: portmap('iptables') }], portBackend: 'iptables' },
    reference: { net: 'tskipt', cniVersion: '1.0.0', ours: false, cniPath: [REF_DIR], plugins: [{ dir: REF_DIR, conf: bridge('tskipt') }, { dir: REF_DIR, conf: portmap() }], portBackend: 'iptables' },
  };
}

function pluginStdin(v, p, prevResult, caps, extra = {}) {
  const conf = { ...p.conf, name: v.net, cniVersion: v.cniVersion, ...extra };
  if (prevResult) conf.prevResult = prevResult;
  const rc = {};
  for (const [k, on] of Object.entries(p.conf.capabilities ?? {})) if (on && caps && caps[k] !== undefined) rc[k] = caps[k];
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  return JSON.stringify(conf);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one plugin. With killAfterMs, SIGKILLs the plugin process (only it, as a runtime's
 * timeout does) and then waits until the tools it had started (nft, iptables-restore) have
 * finished, so the DEL that follows does not race an orphan still writing rules.
 */
function execPlugin(dir, type, stdin, env, killAfterMs) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(path.join(dir, type), [], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let killed = false;
    let timer;
    if (killAfterMs !== undefined) {
      timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          killed = true;
          child.kill('SIGKILL');
        }
      }, killAfterMs);
    }
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.on('error', () => {});
    child.on('close', async (code, signal) => {
      if (timer) clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (killed) for (let i = 0; i < 500 && groupAlive(child.pid); i++) await sleep(10);
      let json;
      try {
        json = out ? JSON.parse(out) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, signal, killed, stdout: out, stderr: err, json, ms });
    });
    child.stdin.end(stdin);
  });
}

class SoakError extends Error {}

async function inner(opts) {
  const { host, tmp, ctrPrefix } = opts.inner;
  const r = rng(opts.seed);
  const dataDir = path.join(tmp, 'ipam');
  const runDir = path.join(tmp, 'run');
  fs.mkdirSync(dataDir, { recursive: true });
  const V = variants(opts.bin, dataDir);
  const baseEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TSCNI_RUN_DIR: runDir, TSCNI_NATIVE_DIR: path.join(tmp, 'native') };
  const counts = {};
  const bump = (k, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  const problems = [];
  const live = new Map(); // key → attachment
  const durations = {}; // `${variant}/${type}/${verb}` → recent ms, to aim kills inside a call
  let ctrSeq = 0;
  let op = 0;
  const t0 = Date.now();

  const log = (...a) => opts.verbose && process.stderr.write(`[soak ${op}] ${a.join(' ')}\n`);
  const fail = (msg) => {
    problems.push(`op ${op}: ${msg}`);
    process.stderr.write(`[soak ${op}] PROBLEM ${msg}\n`);
  };

  function env(v, verb, a) {
    const e = { ...baseEnv, CNI_COMMAND: verb, CNI_PATH: v.cniPath.join(':') };
    if (a) Object.assign(e, { CNI_CONTAINERID: a.cid, CNI_NETNS: a.netnsPath, CNI_IFNAME: a.ifname, CNI_ARGS: 'IgnoreUnknown=1' });
    return e;
  }

  function typical(key) {
    return durations[key] ?? 60;
  }

  async function call(v, p, verb, a, prev, kill) {
    const key = `${v.name}/${p.conf.type}/${verb}`;
    const res = await execPlugin(p.dir, p.conf.type, pluginStdin(v, p, prev, a?.caps), env(v, verb, a), kill ? r.next() * typical(key) * 0.9 : undefined);
    if (!res.killed && res.code === 0) durations[key] = durations[key] === undefined ? res.ms : durations[key] * 0.8 + res.ms * 0.2;
    return res;
  }

  async function gcCall(v, p, valid) {
    const entries = valid.map((a) => ({ containerID: a.cid, ifname: a.ifname }));
    const stdin = pluginStdin(v, p, undefined, undefined, { 'cni.dev/valid-attachments': entries, 'cni.dev/attachments': entries });
    return execPlugin(p.dir, p.conf.type, stdin, env(v, 'GC'));
  }

  const usedPorts = () => new Set([...live.values()].flatMap((a) => a.caps.portMappings.map((m) => m.hostPort)));

  function newAttachment(vname) {
    const n = ctrSeq++;
    const netnsName = `${ctrPrefix}${n}`;
    execFileSync('ip', ['netns', 'add', netnsName]);
    const used = usedPorts();
    const mappings = [];
    for (let i = r.int(1, 2); i > 0; i--) {
      let hp;
      do hp = r.int(30000, 30999);
      while (used.has(hp));
      used.add(hp);
      mappings.push({ hostPort: hp, containerPort: r.pick([80, 443, 53]), protocol: r.pick(['tcp', 'udp']) });
    }
    return { key: '', variant: vname, cid: `soak${opts.seed}x${n}`, ifname: r.chance(0.15) ? 'net1' : 'eth0', netnsName, netnsPath: `/var/run/netns/${netnsName}`, caps: { portMappings: mappings }, result: undefined };
  }

  function dropNetns(a) {
    spawnSync('ip', ['netns', 'del', a.netnsName]);
  }

  /** ADD of the whole list; the caller DELs on failure as a runtime must. */
  async function addList(a, kill) {
    const v = V[a.variant];
    const killAt = kill ? r.int(0, v.plugins.length - 1) : -1;
    let prev;
    for (let i = 0; i < v.plugins.length; i++) {
      const res = await call(v, v.plugins[i], 'ADD', a, prev, i === killAt);
      if (res.killed) return { ok: false, killed: true };
      if (res.code !== 0) return { ok: false, res };
      prev = res.json;
    }
    return { ok: true, result: prev };
  }

  /** DEL of the whole list in reverse with the cached result (none after a failed ADD). */
  async function delList(a, kill) {
    const v = V[a.variant];
    const ps = [...v.plugins].reverse();
    const killAt = kill ? r.int(0, ps.length - 1) : -1;
    for (let i = 0; i < ps.length; i++) {
      const res = await call(v, ps[i], 'DEL', a, a.result, i === killAt);
      if (res.killed) return { ok: false, killed: true };
      if (res.code !== 0) return { ok: false, res };
    }
    return { ok: true };
  }

  async function mustDel(a, why) {
    const d = await delList(a, false);
    if (!d.ok) fail(`DEL (${why}) of ${a.variant} ${a.cid} failed: ${d.res?.stdout}${d.res?.stderr}`);
    return d.ok;
  }

  function ipsOf(result) {
    return (result?.ips ?? []).map((i) => i.address.split('/')[0]);
  }

  async function doAdd(kind) {
    // Kills hit our plugins only: the reference bridge 1.1.1 cannot DEL after being killed
    // between its address and its masquerade chain (its DEL fails on the missing chain).
    const vname = r.pick(Object.keys(V).filter((n) => kind !== 'kill' || V[n].ours));
    const a = newAttachment(vname);
    a.key = `${V[vname].net}/${a.cid}/${a.ifname}`;
    if (kind === 'conflict') {
      // Borrow a live host port on the same firewall backend: ADD must fail and its DEL must
      // leave the owner's entries alone. Only our portmap detects conflicts (the reference's
      // iptables chains are among what our iptables backend looks at).
      const sameBackend = [...live.values()].filter((o) => V[o.variant].portBackend === V[vname].portBackend);
      if (!V[vname].ours || !sameBackend.length) kind = 'plain';
      else {
        const owner = r.pick(sameBackend);
        a.caps.portMappings = [{ ...owner.caps.portMappings[0] }];
        a.conflictWith = owner;
      }
    }
    const res = await addList(a, kind === 'kill');
    if (res.ok) {
      if (a.conflictWith) {
        fail(`ADD ${vname} ${a.cid} reusing host port ${a.caps.portMappings[0].hostPort} of ${a.conflictWith.cid} succeeded`);
      }
      a.result = res.result;
      const mine = new Set(ipsOf(a.result));
      if (!mine.size) fail(`ADD ${vname} ${a.cid} returned no address`);
      for (const o of live.values()) for (const ip of ipsOf(o.result)) if (mine.has(ip)) fail(`duplicate address ${ip}: ${a.cid} and ${o.cid}`);
      live.set(a.key, a);
      bump(`add-ok:${vname}`);
      log('ADD', vname, a.cid, [...mine].join(','));
      return;
    }
    if (res.killed) bump('add-killed');
    else if (a.conflictWith) {
      if (res.res.json?.code !== 112) fail(`conflicting ADD ${vname}: expected code 112, got ${res.res.stdout}`);
      bump('add-conflict-refused');
    } else if (kind === 'kill') bump('add-kill-missed-failed');
    else fail(`ADD ${vname} ${a.cid} failed: ${res.res.stdout}${res.res.stderr}`);
    // The runtime's DEL after a failed ADD: no cached result, same capability args.
    await mustDel(a, 'after failed ADD');
    dropNetns(a);
    if (a.conflictWith && live.has(a.conflictWith.key)) await doCheckOf(a.conflictWith, 'owner after a refused conflict');
  }

  async function doCheckOf(a, why) {
    const v = V[a.variant];
    if (!v.ours) return void bump('check-skipped-reference'); // the reference portmap 1.1.1's CHECK is not meant to pass here
    for (const p of v.plugins) {
      const res = await call(v, p, 'CHECK', a, a.result, false);
      if (res.code !== 0) {
        fail(`CHECK (${why}) ${a.variant} ${a.cid} ${p.conf.type}: ${res.stdout}${res.stderr}`);
        return;
      }
    }
    bump('check-ok');
  }

  async function doDel(kind) {
    const pool = [...live.values()].filter((o) => kind !== 'kill' || V[o.variant].ours);
    if (!pool.length) return doDel('plain');
    const a = r.pick(pool);
    if (kind === 'netns-gone') dropNetns(a);
    if (kind === 'kill') {
      const k = await delList(a, true);
      bump(k.killed ? 'del-killed' : 'del-kill-missed');
      if (!k.ok && !k.killed) fail(`DEL ${a.cid} failed: ${k.res?.stdout}`);
    }
    const ok = await mustDel(a, kind);
    if (kind === 'repeat') await mustDel(a, 'repeated');
    if (ok) {
      live.delete(a.key);
      dropNetns(a);
      bump(`del-${kind}`);
      log('DEL', kind, a.variant, a.cid);
    }
  }

  /**
   * Issue 15: X is deleted, Y gets X's host ports (and, when the range hands it out again, X's
   * address), then X's DEL comes again (containerd's second DEL) with its old prevResult and
   * capability args, or with neither. Y must pass CHECK and keep every entry.
   */
  async function doStaleDel() {
    const pool = [...live.values()].filter((o) => V[o.variant].ours);
    if (!pool.length) return doAdd('plain');
    const x = r.pick(pool);
    if (!(await mustDel(x, 'first DEL before a stale one'))) return;
    live.delete(x.key);
    dropNetns(x);
    const y = newAttachment(x.variant);
    y.caps = { portMappings: x.caps.portMappings.map((m) => ({ ...m })) };
    y.key = `${V[x.variant].net}/${y.cid}/${y.ifname}`;
    const res = await addList(y, false);
    if (!res.ok) {
      fail(`ADD ${y.variant} ${y.cid} with the host ports of deleted ${x.cid} failed: ${res.res?.stdout}${res.res?.stderr}`);
      await mustDel(y, 'after failed ADD');
      dropNetns(y);
      return;
    }
    y.result = res.result;
    live.set(y.key, y);
    const withPrev = r.chance(0.5);
    await mustDel(withPrev ? x : { ...x, result: undefined, caps: {} }, `stale ${withPrev ? 'with' : 'without'} prevResult`);
    bump(`del-stale-${withPrev ? 'prev' : 'noprev'}`);
    await doCheckOf(y, `after a stale DEL of ${x.cid}, whose host ports it took`);
    checkHost('after a stale DEL');
  }

  /** GC per network name, with some live attachments "forgotten" (their containers are gone). */
  async function doGc() {
    const forget = [...live.values()].filter(() => r.chance(0.08)).slice(0, 3);
    const runtimeDelsFirst = r.chance(0.5);
    for (const a of forget) {
      if (runtimeDelsFirst) await mustDel(a, 'GC stale attachment');
      dropNetns(a);
      live.delete(a.key);
    }
    bump('gc');
    bump(runtimeDelsFirst ? 'gc-forgotten-runtime-del' : 'gc-forgotten-plugin-gc-only', forget.length);
    for (const net of Object.keys(NETS)) await gcNetwork(net);
  }

  async function gcNetwork(net) {
    const v = V[NETS[net].gcVariant];
    const valid = [...live.values()].filter((a) => V[a.variant].net === net);
    for (const p of v.plugins) {
      const res = await gcCall(v, p, valid);
      if (res.code !== 0) fail(`GC ${net} ${p.conf.type}: ${res.stdout}${res.stderr}`);
    }
  }

  // ---- observations of the host

  function leases(net) {
    const dir = path.join(dataDir, net);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip') && !f.startsWith('.'));
  }

  function indexEntries() {
    const dir = path.join(dataDir, '.tscni');
    if (!fs.existsSync(dir)) return [];
    const files = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.includes(`${path.sep}owners${path.sep}`)) files.push(path.relative(dir, p));
      }
    };
    walk(dir);
    return files;
  }

  function nftElements() {
    const out = {};
    for (const [table, names] of [
      ['tscni_masq', ['src4', 'src6']],
      ['tscni_portmap', ['dnat4', 'dnat6', 'hdnat4', 'hdnat6', 'masq4', 'masq6', 'spare4', 'spare6']],
    ]) {
      const j = spawnSync('nft', ['-j', 'list', 'table', 'inet', table], { encoding: 'utf8' });
      if (j.status !== 0) continue;
      for (const item of JSON.parse(j.stdout).nftables) {
        const s = item.map ?? item.set;
        if (s && names.includes(s.name)) out[`${table}/${s.name}`] = (s.elem ?? []).length;
      }
    }
    return out;
  }

  /** Per-network chains of ours (the masquerade chain of each network and subnet). */
  function nftNetworkChains() {
    const j = spawnSync('nft', ['-j', 'list', 'table', 'inet', 'tscni_masq'], { encoding: 'utf8' });
    if (j.status !== 0) return [];
    return JSON.parse(j.stdout).nftables.filter((o) => o.chain && o.chain.name !== 'postrouting').map((o) => o.chain.name);
  }

  const SHARED_CHAINS = new Set(['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']);

  function iptablesState() {
    const out = { perContainerChains: [], rulesToContainerChains: 0 };
    for (const tool of ['iptables-save', 'ip6tables-save']) {
      const s = spawnSync(tool, ['-t', 'nat'], { encoding: 'utf8' }).stdout ?? '';
      for (const line of s.split('\n')) {
        const chain = /^:(CNI-\S+)/.exec(line)?.[1];
        if (chain && !SHARED_CHAINS.has(chain)) out.perContainerChains.push(`${tool}:${chain}`);
        const jump = /-j (CNI-\S+)/.exec(line)?.[1];
        if (line.startsWith('-A') && jump && !SHARED_CHAINS.has(jump)) out.rulesToContainerChains++;
      }
    }
    return out;
  }

  function links() {
    return JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' }));
  }

  /** Cheap invariant after an operation: each network's leases are exactly its live addresses. */
  function checkLeases(when) {
    for (const net of Object.keys(NETS)) {
      const want = new Set([...live.values()].filter((a) => V[a.variant].net === net).flatMap((a) => ipsOf(a.result)));
      const have = new Set(leases(net));
      const extra = [...have].filter((ip) => !want.has(ip));
      const missing = [...want].filter((ip) => !have.has(ip));
      if (extra.length || missing.length) fail(`${when}: ${net} leases differ: extra ${extra.join(',') || '-'} missing ${missing.join(',') || '-'}`);
    }
  }

  /** Heavier invariant: veths on the bridges and nft elements match the live attachments. */
  function checkHost(when) {
    checkLeases(when);
    const ls = links();
    const veths = ls.filter((l) => l.linkinfo?.info_kind === 'veth').length;
    if (veths !== live.size) fail(`${when}: ${veths} veths for ${live.size} live attachments`);
    const nft = nftElements();
    const masqWant = [...live.values()].filter((a) => V[a.variant].portBackend === 'nftables');
    const v4 = masqWant.length;
    const v6 = masqWant.filter((a) => ipsOf(a.result).some((ip) => ip.includes(':'))).length;
    if ((nft['tscni_masq/src4'] ?? 0) !== v4 || (nft['tscni_masq/src6'] ?? 0) !== v6) fail(`${when}: masquerade elements ${JSON.stringify(nft)} for ${v4} v4 / ${v6} v6 attachments`);
    const dnatWant = masqWant.reduce((n, a) => n + a.caps.portMappings.length, 0);
    if ((nft['tscni_portmap/dnat4'] ?? 0) !== dnatWant) fail(`${when}: ${nft['tscni_portmap/dnat4'] ?? 0} dnat4 elements for ${dnatWant} mappings`);
  }

  const firewallStep = makeFirewallStep({ bin: opts.bin, dataDir, baseEnv, execPlugin, r, ctrPrefix, seed: opts.seed, fail, bump, log });

  const ops = [
    ['add', 30, () => doAdd('plain')],
    ['add-kill', 7, () => doAdd('kill')],
    ['add-conflict', 3, () => doAdd('conflict')],
    ['del', 18, () => doDel('plain')],
    ['del-kill', 6, () => doDel('kill')],
    ['del-netns-gone', 6, () => doDel('netns-gone')],
    ['del-repeat', 5, () => doDel('repeat')],
    ['del-stale', 4, () => doStaleDel()],
    ['check', 14, async () => doCheckOf(r.pick([...live.values()]), 'live')],
    ['gc', 4, () => doGc()],
    ['firewall-policies', 2, () => firewallStep()],
  ];
  const MAX_LIVE = 40;

  try {
    for (op = 1; op <= opts.ops; op++) {
      const allowed = ops.filter(([name]) => (live.size ? true : name.startsWith('add') || name === 'gc')).filter(([name]) => !(live.size >= MAX_LIVE && name.startsWith('add')));
      const total = allowed.reduce((n, o) => n + o[1], 0);
      let x = r.next() * total;
      const chosen = allowed.find((o) => (x -= o[1]) < 0) ?? allowed[allowed.length - 1];
      bump(`op:${chosen[0]}`);
      await chosen[2]();
      if (op % 10 === 0) checkHost(`after op ${op}`);
      else checkLeases(`after op ${op}`);
    }
    // The runtime's final teardown: DEL everything it knows, GC with nothing valid.
    op = 'final';
    for (const a of [...live.values()]) {
      if (r.chance(0.3)) dropNetns(a);
      if (await mustDel(a, 'final')) {
        live.delete(a.key);
        dropNetns(a);
        bump('final-del');
      }
    }
    for (const net of Object.keys(NETS)) await gcNetwork(net);
  } catch (e) {
    fail(`driver error: ${e.stack ?? e}`);
  }

  // ---- the final state
  const ls = links();
  const bridges = Object.values(NETS).map((n) => n.bridge);
  const final = {
    leases: Object.fromEntries(Object.keys(NETS).map((net) => [net, leases(net)])),
    ownerIndexEntries: indexEntries(),
    veths: ls.filter((l) => l.linkinfo?.info_kind === 'veth').map((l) => l.ifname),
    bridgePorts: ls.filter((l) => bridges.includes(l.master)).map((l) => l.ifname),
    bridges: ls.filter((l) => bridges.includes(l.ifname)).map((l) => l.ifname),
    nftElements: nftElements(),
    nftNetworkChains: nftNetworkChains(),
    iptables: iptablesState(),
    containerNetns: fs.readdirSync('/run/netns').filter((n) => n.startsWith(ctrPrefix)),
  };
  const leaks = [];
  for (const [net, ls2] of Object.entries(final.leases)) if (ls2.length) leaks.push(`${net} leases: ${ls2.join(',')}`);
  if (final.ownerIndexEntries.length) leaks.push(`owner index entries: ${final.ownerIndexEntries.join(',')}`);
  if (final.veths.length) leaks.push(`veths: ${final.veths.join(',')}`);
  if (final.bridgePorts.length) leaks.push(`bridge ports: ${final.bridgePorts.join(',')}`);
  for (const [k, n] of Object.entries(final.nftElements)) if (n) leaks.push(`nft ${k}: ${n} elements`);
  if (final.nftNetworkChains.length) leaks.push(`nft per-network chains: ${final.nftNetworkChains.join(',')}`);
  if (final.iptables.perContainerChains.length) leaks.push(`iptables chains: ${final.iptables.perContainerChains.join(',')}`);
  if (final.iptables.rulesToContainerChains) leaks.push(`iptables jumps to per-container chains: ${final.iptables.rulesToContainerChains}`);
  for (const l of firewallLeaks()) leaks.push(`firewall entry: ${l}`);
  if (final.containerNetns.length) leaks.push(`container netns: ${final.containerNetns.join(',')}`);

  return {
    seed: opts.seed,
    ops: opts.ops,
    host,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    counts: Object.fromEntries(Object.entries(counts).sort()),
    problems,
    leaks,
    final,
    ok: !problems.length && !leaks.length,
  };
}

function printHuman(rep) {
  const lines = [`soak: seed ${rep.seed}, ${rep.ops} operations in ${rep.seconds} s`, 'counts:'];
  for (const [k, v] of Object.entries(rep.counts)) lines.push(`  ${k.padEnd(34)} ${v}`);
  lines.push(`bridges left (documented: they stay, without ports): ${rep.final.bridges.join(', ') || 'none'}`);
  lines.push(`problems: ${rep.problems.length ? '\n  ' + rep.problems.join('\n  ') : 'none'}`);
  lines.push(`leaks: ${rep.leaks.length ? '\n  ' + rep.leaks.join('\n  ') : 'none'}`);
  lines.push(rep.ok ? 'OK' : 'FAILED');
  process.stdout.write(lines.join('\n') + '\n');
}

const opts = parseArgs(process.argv.slice(2));
if (opts.inner) {
  const rep = await inner(opts);
  process.stdout.write(JSON.stringify(rep));
} else {
  if (process.getuid?.() !== 0) throw new SoakError('the soak needs root (network namespaces)');
  const rep = outer(opts);
  if (opts.json) process.stdout.write(JSON.stringify(rep, null, 2) + '\n');
  else printHuman(rep);
  process.exitCode = rep.ok ? 0 : 1;
}
