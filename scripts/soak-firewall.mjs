// The soak's mixed-policy firewall step (issue 15 part 2): networks with ingressPolicy
// same-bridge, isolated and open share one bridge (one subnet, split ranges); containers join in
// a random order on a random firewall backend, real TCP shows that each keeps its own policy,
// they leave in a random order (one of them DELed twice, as containerd does) and nothing of
// theirs is left in the firewall. Self-contained: soak.mjs registers the step and the leak check.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const BRIDGE = 'tskc';
const PORT = 7000;
const NETS = {
  tskfws: { policy: 'same-bridge', range: [10, 59] },
  tskfwi: { policy: 'isolated', range: [60, 99] },
  tskfwo: { policy: 'open', range: [100, 139] },
};

const SERVER = `require('net').createServer((s) => s.end('ok')).listen(${PORT}, '0.0.0.0', () => process.stdout.write('ready\\n'));`;
const CLIENT = `const s = require('net').connect({ host: process.argv[1], port: ${PORT}, timeout: 2000 }, () => {});
s.on('data', () => process.exit(0)); s.on('timeout', () => process.exit(2)); s.on('error', () => process.exit(1));`;

/** What the firewall still holds for these networks (nft elements or iptables rules naming them). */
function firewallEntries(nets) {
  const out = [];
  const j = spawnSync('nft', ['-j', 'list', 'table', 'inet', 'tscni_firewall'], { encoding: 'utf8' });
  if (j.status === 0) {
    for (const o of JSON.parse(j.stdout).nftables) {
      for (const e of o.set?.elem ?? []) {
        const c = e?.elem?.comment;
        if (nets === undefined || (c && nets.some((n) => c.startsWith(`${n}/`)))) out.push(`nft ${o.set.name}: ${JSON.stringify(e?.elem?.val ?? e)} ${c ?? ''}`);
      }
    }
  }
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    const s = spawnSync(tool, ['-t', 'filter'], { encoding: 'utf8' }).stdout ?? '';
    for (const l of s.split('\n')) {
      if (!l.startsWith('-A CNI-') || !l.includes('ifname: ')) continue;
      if (nets === undefined || nets.some((n) => l.includes(`name: \\"${n}\\"`))) out.push(`${tool}: ${l}`);
    }
  }
  return out;
}

/** Leaks for the soak's final report: any per-container firewall entry at all. */
export function firewallLeaks() {
  return firewallEntries(undefined);
}

/**
 * The step. `ctx`: { bin, dataDir, baseEnv, execPlugin, r (rng), ctrPrefix, seed, fail, bump, log }.
 */
export function makeFirewallStep(ctx) {
  const { bin, dataDir, baseEnv, execPlugin, r, ctrPrefix, fail, bump, log } = ctx;
  let seq = 0;

  const plugins = (net, backend) => [
    {
      type: 'bridge',
      bridge: BRIDGE,
      isGateway: true,
      ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.231.2.0/24', rangeStart: `10.231.2.${NETS[net].range[0]}`, rangeEnd: `10.231.2.${NETS[net].range[1]}`, gateway: '10.231.2.1' }]] },
    },
    { type: 'firewall', backend, ingressPolicy: NETS[net].policy },
  ];

  const env = (verb, a) => ({ ...baseEnv, CNI_COMMAND: verb, CNI_PATH: bin, CNI_CONTAINERID: a.cid, CNI_NETNS: a.netnsPath, CNI_IFNAME: 'eth0' });
  const stdin = (a, p, prev) => JSON.stringify({ ...p, cniVersion: '1.1.0', name: a.net, ...(prev ? { prevResult: prev } : {}) });

  async function add(a) {
    let prev;
    for (const p of a.plugins) {
      const res = await execPlugin(bin, p.type, stdin(a, p, prev), env('ADD', a));
      if (res.code !== 0) return { ok: false, res };
      prev = res.json;
    }
    a.result = prev;
    a.ip = prev.ips[0].address.split('/')[0];
    return { ok: true };
  }

  async function verb(a, v, prev) {
    const ps = v === 'DEL' ? [...a.plugins].reverse() : a.plugins;
    for (const p of ps) {
      const res = await execPlugin(bin, p.type, stdin(a, p, prev), env(v, a));
      if (res.code !== 0) return `${v} ${a.net} ${a.cid} ${p.type}: ${res.stdout}${res.stderr}`;
    }
    return undefined;
  }

  async function serve(a) {
    a.server = spawn('ip', ['netns', 'exec', a.netnsName, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 5000);
      a.server.stdout.on('data', (d) => String(d).includes('ready') && (clearTimeout(t), resolve()));
    });
  }

  const talks = (from, to) => spawnSync('ip', ['netns', 'exec', from.netnsName, process.execPath, '-e', CLIENT, to.ip], { timeout: 10_000 }).status === 0;

  function expectTalk(from, to, want, when) {
    if (talks(from, to) !== want) fail(`firewall step (${when}): ${from.net} ${from.ip} -> ${to.net} ${to.ip} ${want ? 'blocked' : 'got through'}`);
  }

  /** What the policies say about the containers still there. */
  function checkTraffic(cs, when) {
    const s = cs.filter((c) => c.net === 'tskfws');
    const i = cs.filter((c) => c.net === 'tskfwi');
    const o = cs.filter((c) => c.net === 'tskfwo');
    if (s.length >= 2) {
      expectTalk(s[0], s[1], true, when);
      expectTalk(s[1], s[0], true, when);
    }
    if (s.length && i.length) {
      expectTalk(s[0], i[0], false, when);
      expectTalk(i[0], s[0], false, when);
    }
    if (o.length && s.length) expectTalk(o[0], s[0], true, when);
    if (o.length && i.length) expectTalk(o[0], i[0], false, when);
  }

  return async function firewallStep() {
    const backend = r.pick(['nftables', 'iptables']);
    const nets = ['tskfws', 'tskfws', 'tskfwi', ...(r.chance(0.5) ? ['tskfwo'] : [])];
    for (let k = nets.length - 1; k > 0; k--) {
      const j = r.int(0, k);
      [nets[k], nets[j]] = [nets[j], nets[k]];
    }
    const cs = [];
    try {
      for (const net of nets) {
        const n = seq++;
        const a = { net, cid: `soakfw${ctx.seed}x${n}`, netnsName: `${ctrPrefix}fw${n}`, plugins: plugins(net, backend) };
        a.netnsPath = `/var/run/netns/${a.netnsName}`;
        execFileSync('ip', ['netns', 'add', a.netnsName]);
        execFileSync('ip', ['-n', a.netnsName, 'link', 'set', 'lo', 'up']);
        cs.push(a);
        const res = await add(a);
        if (!res.ok) {
          fail(`firewall step: ADD ${net} (${backend}) failed: ${res.res.stdout}${res.res.stderr}`);
          a.failed = true;
          continue;
        }
        await serve(a);
      }
      const up = cs.filter((c) => !c.failed);
      log('firewall step', backend, up.map((c) => `${c.net}:${c.ip}`).join(' '));
      checkTraffic(up, `${backend}, all joined in the order ${nets.join(',')}`);
      for (const c of up) {
        const e = await verb(c, 'CHECK', c.result);
        if (e) fail(`firewall step: ${e}`);
      }
      // leave in a random order; the first one leaves twice (the second time with its old prevResult)
      const order = [...up].sort(() => r.next() - 0.5);
      for (const [k, c] of order.entries()) {
        const e = await verb(c, 'DEL', c.result);
        if (e) fail(`firewall step: ${e}`);
        c.gone = true;
        c.server?.kill('SIGKILL');
        if (k === 0) {
          const again = await verb(c, 'DEL', c.result);
          if (again) fail(`firewall step: stale ${again}`);
          const left = order.filter((x) => !x.gone);
          checkTraffic(left, `${backend}, after ${c.net}'s DEL and its repeat`);
          for (const x of left) {
            const ce = await verb(x, 'CHECK', x.result);
            if (ce) fail(`firewall step: after another container's DEL: ${ce}`);
          }
        }
      }
      bump(`firewall-step:${backend}`);
    } finally {
      for (const c of cs) {
        c.server?.kill('SIGKILL');
        if (!c.gone) await verb(c, 'DEL', c.result);
        spawnSync('ip', ['netns', 'del', c.netnsName]);
      }
    }
    const left = firewallEntries(Object.keys(NETS));
    if (left.length) fail(`firewall step: entries left after every DEL: ${left.join('; ')}`);
    for (const net of Object.keys(NETS)) {
      const dir = path.join(dataDir, net);
      const leases = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip') && !f.startsWith('.')) : [];
      if (leases.length) fail(`firewall step: ${net} leases left: ${leases.join(',')}`);
    }
  };
}
