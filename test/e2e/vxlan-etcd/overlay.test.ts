// vxlan with etcd end to end: hosts that know nothing of each other meet in a real etcd, claim
// their shares there, and the agents keep every host's kernel in step with the store.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { ping } from '../../helpers/traffic';
import { ensureEtcd, eventually, fdb, ipOf, makeLab, routes, storeConf, type Host, type Lab } from './fixture';
import { skipWithout } from '../../helpers/prereq';

const missing = skipWithout('vxlan-etcd e2e', ensureEtcd());

let lab: Lab;
beforeEach(async () => {
  if (!missing) lab = await makeLab();
});
afterEach(async () => lab?.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

interface Attached {
  host: Host;
  ns: string;
  ip: string;
}

function attach(host: Host, conf: object): Attached {
  const ns = lab.ctr();
  const r = lab.run('ADD', host, ns, conf);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { host, ns, ip: ipOf(r) };
}

function expectAllPairs(cs: Attached[]): void {
  for (const a of cs) for (const b of cs) if (a !== b) expect(ping(a.ns, b.ip, { count: 1 }), `ping ${a.host.name}/${a.ip} -> ${b.host.name}/${b.ip}`).toBe(true);
}

const subnetRoutes = (h: Host): string[] => routes(h.ns, 'vx-tetnet').filter((r) => r.gateway).map((r) => r.dst).sort();

describe.skipIf(missing)('vxlan + etcd, l3', () => {
  it('hosts join one by one with no static peers, claim distinct subnets, and all containers reach each other', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const agents = lab.hosts.map((h) => lab.agent(h, storeConf(lab, h, 'l3')));
    const cs = [attach(A, storeConf(lab, A, 'l3')), attach(B, storeConf(lab, B, 'l3')), attach(C, storeConf(lab, C, 'l3'))];

    const nodes = lab.etcd.get('/tet/tetnet/nodes/');
    expect(Object.keys(nodes).sort()).toEqual([A, B, C].map((h) => `/tet/tetnet/nodes/${h.ip4}`).sort());
    const subnets = Object.values(nodes).map((v) => JSON.parse(v).subnet as string);
    expect(new Set(subnets).size).toBe(3);
    for (const [i, c] of cs.entries()) {
      const s = JSON.parse(nodes[`/tet/tetnet/nodes/${lab.hosts[i]!.ip4}`]!).subnet as string;
      expect(s).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(s).not.toBe('10.244.0.0/24'); // the first subnet is skipped, as flannel does
      expect(c.ip.split('.').slice(0, 3).join('.')).toBe(s.split('.').slice(0, 3).join('.'));
    }
    expect(JSON.parse(lab.etcd.get('/tet/tetnet/config')['/tet/tetnet/config']!)).toMatchObject({ mode: 'l3', vni: 42, port: 4789, network: '10.244.0.0/16', subnetLen: 24 });

    // A joined first and knew no peer at its ADD: its agent brought B and C in.
    await eventually(() => subnetRoutes(A).length === 2, 3000, 'A learns B and C');
    expectAllPairs(cs);
    for (const a of agents) expect(a.output()).not.toMatch(/unexpected error/);
  });

  it('a host that leaves (lease revoked) or stops renewing (lease expired) is pruned by the other hosts\' agents', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const conf = (h: Host): Record<string, unknown> => storeConf(lab, h, 'l3', { store: { type: 'etcd', endpoints: [lab.etcd.url], prefix: '/tet/tetnet', leaseTTL: 5, timeoutMs: 1500 } });
    lab.agent(A, conf(A));
    const agentB = lab.agent(B, conf(B));
    const cs = [attach(A, conf(A)), attach(B, conf(B)), attach(C, conf(C))];
    await eventually(() => subnetRoutes(A).length === 2 && subnetRoutes(B).length === 2, 3000, 'A and B see both others');
    const cSubnet = JSON.parse(lab.etcd.get(`/tet/tetnet/nodes/${C.ip4}`)[`/tet/tetnet/nodes/${C.ip4}`]!).subnet as string;
    expect(subnetRoutes(A)).toContain(cSubnet);

    // C leaves for good: its lease is revoked and A and B drop it at once.
    const left = lab.sync(C, conf(C), ['--leave']);
    expect(left.code, left.stderr).toBe(0);
    expect(lab.etcd.get(`/tet/tetnet/nodes/${C.ip4}`)).toEqual({});
    const took = await eventually(() => !subnetRoutes(A).includes(cSubnet) && !subnetRoutes(B).includes(cSubnet), 1500, 'C pruned from A and B');
    expect(took).toBeLessThan(1500);
    expect(fdb(A.ns, 'vx-tetnet').map((e) => e.dst)).not.toContain(C.ip4);
    expect(ping(cs[0]!.ns, cs[1]!.ip, { count: 1 })).toBe(true);

    // B's agent stops: nobody renews B's 5 s lease, it expires, and A's agent prunes B.
    const bSubnet = JSON.parse(lab.etcd.get(`/tet/tetnet/nodes/${B.ip4}`)[`/tet/tetnet/nodes/${B.ip4}`]!).subnet as string;
    await agentB.stop();
    await eventually(() => !subnetRoutes(A).includes(bSubnet), 12_000, 'B expired and pruned from A');
    expect(lab.etcd.get('/tet/tetnet/subnets/')).not.toHaveProperty(`/tet/tetnet/subnets/${bSubnet.replace('/', '-')}`);

    // B comes back: the cached subnet is free again and B claims the same one.
    const b2 = attach(B, conf(B));
    expect(JSON.parse(lab.etcd.get(`/tet/tetnet/nodes/${B.ip4}`)[`/tet/tetnet/nodes/${B.ip4}`]!).subnet).toBe(bSubnet);
    await eventually(() => subnetRoutes(A).includes(bSubnet), 3000, 'B back on A');
    expect(ping(cs[0]!.ns, b2.ip, { count: 1 })).toBe(true);
  });

  it('a host whose network-wide settings differ from the store is refused (code 7) and changes nothing', () => {
    const [A, B] = lab.hosts as [Host, Host];
    attach(A, storeConf(lab, A, 'l3'));
    const ns = lab.ctr();
    const r = lab.run('ADD', B, ns, storeConf(lab, B, 'l3', { vni: 43 }));
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(7);
    expect(r.json.msg).toMatch(/field "vni": 43 here, 42 in the network record/);
    expect(lab.etcd.get(`/tet/tetnet/nodes/${B.ip4}`)).toEqual({});
    const r2 = lab.run('ADD', B, ns, storeConf(lab, B, 'l3', { mtu: 1400 }));
    expect(r2.json.code).toBe(7);
    expect(r2.json.msg).toMatch(/field "mtu"/);
  });
});

describe.skipIf(missing)('vxlan + etcd, l2', () => {
  it('hosts claim distinct blocks of the shared subnet and all containers reach each other', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    for (const h of lab.hosts) lab.agent(h, storeConf(lab, h, 'l2'));
    const cs = [attach(A, storeConf(lab, A, 'l2')), attach(B, storeConf(lab, B, 'l2')), attach(C, storeConf(lab, C, 'l2'))];
    const blocks = lab.etcd.get('/tet/tetnet/blocks/');
    expect(Object.keys(blocks)).toHaveLength(3);
    const nodes = Object.values(lab.etcd.get('/tet/tetnet/nodes/')).map((v) => JSON.parse(v));
    expect(new Set(nodes.map((n) => n.block)).size).toBe(3);
    for (const c of cs) {
      const n = nodes.find((x) => x.underlayIP === c.host.ip4);
      const last = Number(c.ip.split('.')[3]);
      expect(last).toBeGreaterThanOrEqual(Number(n.nodeRange.rangeStart.split('.')[3]));
      expect(last).toBeLessThanOrEqual(Number(n.nodeRange.rangeEnd.split('.')[3]));
    }
    await eventually(() => fdb(A.ns, 'vx-tetnet').filter((e) => e.mac === '00:00:00:00:00:00').length === 2, 3000, 'A floods to B and C');
    expectAllPairs(cs);
  });
});
