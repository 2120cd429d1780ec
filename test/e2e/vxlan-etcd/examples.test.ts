// conf-examples/vxlan/*-etcd.conflist: ONE file for every host (no peers, no per-host share), run
// through our cnitool on two lab hosts with the agent beside it, against an etcd that demands
// mutual TLS. Only the machine-specific parts are swapped: interface, endpoint, key files, dirs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDeviceName } from '../../../shared/overlay/names';
import { bin, repoRoot } from '../../helpers/bins';
import { leakedNetns, netnsPath } from '../../helpers/netns';
import { ping } from '../../helpers/traffic';
import { ensureEtcd, eventually, fdb, makeLab, routes, type Host, type Lab } from './fixture';
import { skipWithout } from '../../helpers/prereq';

const missing = skipWithout('vxlan-etcd examples', ensureEtcd());

const dir = path.join(repoRoot, 'conf-examples', 'vxlan');
let lab: Lab;
beforeEach(async () => {
  if (!missing) lab = await makeLab(2, { tls: true });
});
afterEach(async () => lab?.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

function install(host: Host, file: string): { list: any; conf: any; cnitool(args: string[]): { code: number; stdout: string; stderr: string } } {
  const list = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const p = list.plugins[0];
  expect(p.peers).toBeUndefined();
  p.underlay = { interface: 'und0' };
  p.store.endpoints = [lab.etcd.url];
  p.store.tls = { ca: lab.pki!.ca, cert: lab.pki!.clientCert, key: lab.pki!.clientKey };
  p.stateDir = host.stateDir;
  p.ipam.dataDir = host.dataDir;
  const netDir = path.join(host.stateDir, '..', 'net.d');
  fs.mkdirSync(netDir, { recursive: true });
  fs.writeFileSync(path.join(netDir, file), JSON.stringify(list));
  const env = { PATH: process.env.PATH ?? '', NETCONFPATH: netDir, CNI_PATH: path.dirname(bin('cnitool')), CNI_CACHE_DIR: path.join(netDir, '..', 'cache') };
  return {
    list,
    conf: list,
    cnitool: (args) => {
      const r = spawnSync('ip', ['netns', 'exec', host.ns, bin('cnitool'), ...args], { env, encoding: 'utf8', timeout: 30_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

describe.skipIf(missing)('conf-examples/vxlan/*-etcd.conflist (mutual TLS to etcd)', () => {
  for (const mode of ['l3', 'l2'] as const) {
    it(`${mode}-etcd on two hosts through cnitool with the agent: add, traffic, check, del`, async () => {
      const [h1, h2] = lab.hosts as [Host, Host];
      const t1 = install(h1, `${mode}-etcd.conflist`);
      const t2 = install(h2, `${mode}-etcd.conflist`);
      // The agent reads the same conflist the runtime uses.
      lab.agent(h1, t1.conf);
      const [c1, c2] = [lab.ctr(), lab.ctr()];
      const r1 = t1.cnitool(['add', t1.list.name, netnsPath(c1)]);
      expect(r1.code, r1.stderr + r1.stdout).toBe(0);
      const r2 = t2.cnitool(['add', t2.list.name, netnsPath(c2)]);
      expect(r2.code, r2.stderr + r2.stdout).toBe(0);
      const ip1 = JSON.parse(r1.stdout).ips[0].address.split('/')[0];
      const ip2 = JSON.parse(r2.stdout).ips[0].address.split('/')[0];
      const dev = defaultDeviceName(t1.list.name);
      // h1 joined first; its agent learns h2 from the store.
      if (mode === 'l3') await eventually(() => routes(h1.ns, dev).some((r) => r.gateway), 3000, 'h1 routes to h2');
      else await eventually(() => fdb(h1.ns, dev).some((e) => e.dst === h2.ip4), 3000, 'h1 floods to h2');
      expect(ping(c1, ip2)).toBe(true);
      expect(ping(c2, ip1)).toBe(true);
      const nodes = lab.etcd.get(`${t1.list.plugins[0].store.prefix}/nodes/`);
      expect(Object.keys(nodes)).toHaveLength(2);
      expect(t1.cnitool(['check', t1.list.name, netnsPath(c1)]).code).toBe(0);
      expect(t1.cnitool(['del', t1.list.name, netnsPath(c1)]).code).toBe(0);
      expect(t2.cnitool(['del', t2.list.name, netnsPath(c2)]).code).toBe(0);
    });
  }

  it('without the client certificate etcd refuses, and ADD says "try again later" (11)', () => {
    const [h1] = lab.hosts as [Host];
    const t = install(h1, 'l3-etcd.conflist');
    const conf = { cniVersion: t.list.cniVersion, name: t.list.name, ...t.list.plugins[0], store: { ...t.list.plugins[0].store, tls: { ca: lab.pki!.ca } } };
    const c = lab.ctr();
    const r = lab.run('ADD', h1, c, conf);
    expect(r.json?.code, r.stdout + r.stderr).toBe(11);
    const r2 = lab.run('ADD', h1, c, { ...conf, store: { ...conf.store, tls: { ca: '/nonexistent/ca.pem' } } });
    expect(r2.json.code).toBe(7);
    expect(r2.json.msg).toMatch(/field "store.tls.ca": cannot read/);
  });
});
