// Concurrency on one host: 32 attachments ADDed at once and DELed at once on one network (bridge
// + host-local + portmap, each firewall backend), and two networks sharing one bridge name.
// Documented behaviour for the latter: they share the bridge (each network's gateway address is
// on it); each network keeps its own masquerade chain and its own leases, and DEL of one network's
// containers leaves the other's untouched.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, deleteAllNetns, deleteNetns, inNetns, leakedNetns, netnsPath } from '../../helpers/netns';
import { createWorld, destroyWorld, type World } from './world';

let w: World;
beforeAll(() => {
  w = createWorld('tskp');
});
afterAll(() => {
  destroyWorld(w);
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});

interface Out {
  code: number;
  stdout: string;
  json: any;
}

function exec(role: string, env: Record<string, string>, stdin: object): Promise<Out> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', w.host, bin(role)], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TSCNI_RUN_DIR: w.runDir, CNI_PATH: binDir, ...env },
      cwd: w.cwd,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => {});
    child.on('close', (code) => {
      let json: any;
      try {
        json = out ? JSON.parse(out) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout: out, json });
    });
    child.stdin.end(JSON.stringify(stdin));
  });
}

interface Net {
  name: string;
  bridge: string;
  subnet: string;
  backend: 'nftables' | 'iptables';
}

function plugins(n: Net) {
  return [
    { type: 'bridge', bridge: n.bridge, isGateway: true, ipMasq: true, ipMasqBackend: n.backend, ipam: { type: 'host-local', subnet: n.subnet, dataDir: w.dataDir } },
    { type: 'portmap', backend: n.backend, capabilities: { portMappings: true } },
  ];
}

interface Ctr {
  id: string;
  netns: string;
  port: number;
  result?: any;
}

async function chain(n: Net, c: Ctr, command: 'ADD' | 'DEL'): Promise<Out> {
  const env = { CNI_COMMAND: command, CNI_CONTAINERID: c.id, CNI_NETNS: netnsPath(c.netns), CNI_IFNAME: 'eth0' };
  const ps = command === 'ADD' ? plugins(n) : plugins(n).reverse();
  let prev = command === 'DEL' ? c.result : undefined;
  let last: Out = { code: 0, stdout: '', json: undefined };
  for (const p of ps) {
    const conf: Record<string, unknown> = { ...p, cniVersion: '1.1.0', name: n.name, runtimeConfig: { portMappings: [{ hostPort: c.port, containerPort: 80, protocol: 'tcp' }] } };
    if (prev) conf.prevResult = prev;
    last = await exec(p.type, env, conf);
    if (last.code !== 0) return last;
    if (command === 'ADD') prev = last.json;
  }
  if (command === 'ADD') c.result = prev;
  return last;
}

function containers(tag: string, n: number, port0: number): Ctr[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, netns: createNetns(`tskp${tag}`), port: port0 + i }));
}

const leases = (net: string): string[] => {
  const d = path.join(w.dataDir, net);
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f) && f.includes('.')) : [];
};

function nftMapKeys(table: string, map: string): { key: string; value: string; comment: string }[] {
  const r = spawnSync('ip', ['netns', 'exec', w.host, 'nft', '-j', 'list', 'map', 'inet', table, map], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const m = (JSON.parse(r.stdout).nftables as any[]).find((x) => x.map)?.map;
  return (m?.elem ?? []).map(([k, v]: [any, any]) => {
    const key = k.elem ? k.elem.val : k;
    return { key: JSON.stringify(key), value: JSON.stringify(v), comment: k.elem?.comment ?? '' };
  });
}

const iptSave = (): string => inNetns(w.host, ['iptables-save', '-t', 'nat']);

describe('reliability: concurrency', () => {
  for (const backend of ['nftables', 'iptables'] as const) {
    it(`32 parallel ADDs then 32 parallel DELs on one network (${backend}): distinct addresses, every rule exactly once, nothing lost`, async () => {
      const net: Net = { name: `tskpar${backend[0]}`, bridge: `tskpar${backend[0]}`, subnet: backend === 'nftables' ? '10.234.0.0/24' : '10.234.1.0/24', backend };
      const cs = containers(`p${backend[0]}`, 32, backend === 'nftables' ? 32000 : 32100);
      try {
        const adds = await Promise.all(cs.map((c) => chain(net, c, 'ADD')));
        adds.forEach((r, i) => expect(r.code, `${cs[i]!.id}: ${r.stdout}`).toBe(0));
        const ips = cs.map((c) => c.result.ips[0].address.split('/')[0]);
        expect(new Set(ips).size).toBe(32);
        expect(leases(net.name).sort()).toEqual([...ips].sort());
        if (backend === 'nftables') {
          const masq = nftMapKeys('tscni_masq', 'src4').filter((e) => e.comment.startsWith(`${net.name}/`));
          expect(masq.map((e) => JSON.parse(e.key)).sort()).toEqual([...ips].sort());
          const dnat = nftMapKeys('tscni_portmap', 'dnat4').filter((e) => e.comment.startsWith(`${net.name}/`));
          expect(dnat).toHaveLength(32);
          expect(new Set(dnat.map((e) => e.key)).size).toBe(32);
          for (const c of cs) expect(dnat.filter((e) => e.comment === `${net.name}/${c.id}/eth0`), c.id).toHaveLength(1);
        } else {
          const save = iptSave();
          for (const c of cs) {
            const ip = c.result.ips[0].address.split('/')[0];
            expect(save.split('\n').filter((l) => l.startsWith('-A POSTROUTING') && l.includes(`-s ${ip}/32`)), c.id).toHaveLength(1);
            expect(save.split('\n').filter((l) => l.startsWith('-A CNI-HOSTPORT-DNAT') && l.includes(`id: \\"${c.id}\\"`)), c.id).toHaveLength(1);
            expect(save.split('\n').filter((l) => l.includes(`--dport ${c.port} `) && l.includes('DNAT --to-destination')), c.id).toHaveLength(1);
          }
        }
        // Every attachment's CHECK passes: nothing was lost to a concurrent writer.
        const checks = await Promise.all(cs.map((c) => chainCheck(net, c)));
        checks.forEach((r, i) => expect(r.code, `${cs[i]!.id}: ${r.stdout}`).toBe(0));

        const dels = await Promise.all(cs.map((c) => chain(net, c, 'DEL')));
        dels.forEach((r, i) => expect(r.code, `${cs[i]!.id}: ${r.stdout}`).toBe(0));
        expect(leases(net.name)).toEqual([]);
        if (backend === 'nftables') {
          expect(nftMapKeys('tscni_masq', 'src4').filter((e) => e.comment.startsWith(`${net.name}/`))).toEqual([]);
          expect(nftMapKeys('tscni_portmap', 'dnat4').filter((e) => e.comment.startsWith(`${net.name}/`))).toEqual([]);
        } else {
          const save = iptSave();
          expect(save.split('\n').filter((l) => /^:CNI-(DN-)?[0-9a-f]+ /.test(l))).toEqual([]);
          expect(save.split('\n').filter((l) => l.startsWith('-A') && /-j CNI-(DN-)?[0-9a-f]+/.test(l))).toEqual([]);
        }
        const veths = JSON.parse(inNetns(w.host, ['ip', '-j', 'link', 'show', 'type', 'veth'])) as { ifname: string }[];
        expect(veths.filter((l) => l.ifname !== 'mvm0' && l.ifname !== 'mvm0p')).toEqual([]);
      } finally {
        for (const c of cs) deleteNetns(c.netns);
      }
    }, 180_000);
  }

  it('two networks sharing one bridge name: one bridge, separate masquerade and leases; DEL of one leaves the other', async () => {
    const a: Net = { name: 'tskshra', bridge: 'tskshr', subnet: '10.235.0.0/24', backend: 'nftables' };
    const b: Net = { name: 'tskshrb', bridge: 'tskshr', subnet: '10.235.1.0/24', backend: 'nftables' };
    const ca = containers('sa', 3, 33000);
    const cb = containers('sb', 3, 33100);
    try {
      const adds = await Promise.all([...ca.map((c) => chain(a, c, 'ADD')), ...cb.map((c) => chain(b, c, 'ADD'))]);
      adds.forEach((r) => expect(r.code, r.stdout).toBe(0));
      const br = JSON.parse(inNetns(w.host, ['ip', '-j', 'addr', 'show', 'dev', 'tskshr']))[0];
      expect(br.addr_info.filter((x: any) => x.family === 'inet').map((x: any) => `${x.local}/${x.prefixlen}`).sort()).toEqual(['10.235.0.1/24', '10.235.1.1/24']);
      const ports = JSON.parse(inNetns(w.host, ['ip', '-j', 'link', 'show', 'master', 'tskshr'])) as unknown[];
      expect(ports).toHaveLength(6);
      expect(leases(a.name)).toHaveLength(3);
      expect(leases(b.name)).toHaveLength(3);
      const masq = nftMapKeys('tscni_masq', 'src4');
      const chainOf = (n: Net) => new Set(masq.filter((e) => e.comment.startsWith(`${n.name}/`)).map((e) => e.value));
      expect(chainOf(a).size).toBe(1);
      expect(chainOf(b).size).toBe(1);
      expect([...chainOf(a)][0]).not.toBe([...chainOf(b)][0]);

      const dels = await Promise.all(ca.map((c) => chain(a, c, 'DEL')));
      dels.forEach((r) => expect(r.code, r.stdout).toBe(0));
      expect(leases(a.name)).toEqual([]);
      expect(leases(b.name)).toHaveLength(3);
      expect(nftMapKeys('tscni_masq', 'src4').filter((e) => e.comment.startsWith(`${a.name}/`))).toEqual([]);
      expect(nftMapKeys('tscni_masq', 'src4').filter((e) => e.comment.startsWith(`${b.name}/`))).toHaveLength(3);
      const checks = await Promise.all(cb.map((c) => chainCheck(b, c)));
      checks.forEach((r) => expect(r.code, r.stdout).toBe(0));
      const delsB = await Promise.all(cb.map((c) => chain(b, c, 'DEL')));
      delsB.forEach((r) => expect(r.code, r.stdout).toBe(0));
      expect(leases(b.name)).toEqual([]);
      expect(JSON.parse(inNetns(w.host, ['ip', '-j', 'link', 'show', 'master', 'tskshr']))).toEqual([]);
    } finally {
      for (const c of [...ca, ...cb]) deleteNetns(c.netns);
    }
  }, 180_000);
});

async function chainCheck(n: Net, c: Ctr): Promise<Out> {
  const env = { CNI_COMMAND: 'CHECK', CNI_CONTAINERID: c.id, CNI_NETNS: netnsPath(c.netns), CNI_IFNAME: 'eth0' };
  for (const p of plugins(n)) {
    const r = await exec(p.type, env, { ...p, cniVersion: '1.1.0', name: n.name, prevResult: c.result, runtimeConfig: { portMappings: [{ hostPort: c.port, containerPort: 80, protocol: 'tcp' }] } });
    if (r.code !== 0) return r;
  }
  return { code: 0, stdout: '', json: undefined };
}
