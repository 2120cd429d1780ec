// etcd stopped mid-run: DEL still succeeds, ADD fails with "try again later" (11), STATUS says
// "not available" (50), GC and the agents leave the kernel state for known peers alone, traffic
// keeps flowing; once etcd is back, ADD works again with this host's subnet unchanged.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { ping } from '../../helpers/traffic';
import { ensureEtcd, eventually, fdb, ipOf, makeLab, routes, storeConf, type Host, type Lab } from './fixture';
import { skipWithout } from '../../helpers/prereq';

const missing = skipWithout('vxlan-etcd outage test', ensureEtcd());

let lab: Lab;
beforeEach(async () => {
  if (!missing) lab = await makeLab(2);
});
afterEach(async () => lab?.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const subnetRoutes = (h: Host): string[] => routes(h.ns, 'vx-tetnet').filter((r) => r.gateway).map((r) => r.dst).sort();

describe.skipIf(missing)('vxlan + etcd: the store goes away and comes back', () => {
  it('DEL succeeds, ADD fails with 11, STATUS 50, known peers stay programmed; recovery after restart', async () => {
    const [A, B] = lab.hosts as [Host, Host];
    const conf = (h: Host): Record<string, unknown> => storeConf(lab, h, 'l3');
    const agentA = lab.agent(A, conf(A));
    const ctrA = lab.ctr();
    const ctrA2 = lab.ctr();
    const ctrB = lab.ctr();
    const a = lab.run('ADD', A, ctrA, conf(A));
    expect(a.code, a.stdout).toBe(0);
    expect(lab.run('ADD', A, ctrA2, conf(A)).code).toBe(0);
    const b = lab.run('ADD', B, ctrB, conf(B));
    expect(b.code, b.stdout).toBe(0);
    await eventually(() => subnetRoutes(A).length === 1, 3000, 'A learns B');
    const aSubnet = JSON.parse(lab.etcd.get(`/tet/tetnet/nodes/${A.ip4}`)[`/tet/tetnet/nodes/${A.ip4}`]!).subnet as string;
    const before = { routes: subnetRoutes(A), fdb: fdb(A.ns, 'vx-tetnet').map((e) => `${e.mac} ${e.dst}`).sort() };

    const healthy = lab.run('STATUS', A, ctrA, conf(A));
    expect(healthy.code, healthy.stdout).toBe(0);

    lab.etcd.stop();

    const del = lab.run('DEL', A, ctrA2, conf(A));
    expect(del.code, del.stdout + del.stderr).toBe(0);

    const add = lab.run('ADD', A, lab.ctr(), conf(A));
    expect(add.code).toBe(1);
    expect(add.json.code).toBe(11);
    expect(add.json.msg).toMatch(/store/);

    const check = lab.run('CHECK', A, ctrA, { ...conf(A), prevResult: a.json });
    expect(check.json?.code).toBe(11);

    const status = lab.run('STATUS', A, ctrA, conf(A));
    expect(status.code).toBe(1);
    expect(status.json.code).toBe(50);

    const gc = lab.run('GC', A, ctrA, { ...conf(A), 'cni.dev/valid-attachments': [{ containerID: `id-${ctrA}`, ifname: 'eth0' }] });
    expect(gc.json?.msg ?? '').toMatch(/peer list/);

    // Give the agent time for a failed resync: it must not treat "unreachable" as "no peers".
    await new Promise((r) => setTimeout(r, 6000));
    expect(subnetRoutes(A)).toEqual(before.routes);
    expect(fdb(A.ns, 'vx-tetnet').map((e) => `${e.mac} ${e.dst}`).sort()).toEqual(before.fdb);
    expect(ping(ctrA, ipOf(b), { count: 1 })).toBe(true);

    await lab.etcd.start();
    const again = lab.run('ADD', A, lab.ctr(), conf(A));
    expect(again.code, again.stdout).toBe(0);
    expect(ipOf(again).split('.').slice(0, 3).join('.')).toBe(aSubnet.split('.').slice(0, 3).join('.'));
    expect(agentA.output()).toMatch(/kernel state left as it is/);

    // The agent outlived the outage and follows the store again: B leaving reaches A.
    expect(lab.sync(B, conf(B), ['--leave']).code).toBe(0);
    await eventually(() => subnetRoutes(A).length === 0, 5000, 'A prunes B after the outage');
  }, 90_000);
});
