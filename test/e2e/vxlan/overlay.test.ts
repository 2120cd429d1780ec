// vxlan end to end: three hosts on a veth/bridge underlay, containers on each, real traffic.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { confFor, fdb, ipOf, link, makeLab, neighs, routes, type Host, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab();
});
afterEach(() => lab.cleanup());
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

/** ping and TCP both ways between every pair. */
async function expectConnected(cs: Attached[]): Promise<void> {
  for (const a of cs) {
    for (const b of cs) {
      if (a === b) continue;
      expect(ping(a.ns, b.ip, { count: 2 }), `ping ${a.host.name}/${a.ip} -> ${b.host.name}/${b.ip}`).toBe(true);
    }
  }
  for (const b of cs) {
    const srv = await startTcpServer(b.ns, '0.0.0.0', 7000);
    try {
      for (const a of cs) if (a !== b) expect(tcpRequest(a.ns, b.ip, 7000)).toBe(a.ip);
    } finally {
      srv.stop();
    }
  }
}

describe('vxlan l2 (Docker overlay)', () => {
  it('head-end replication: containers on three hosts talk both ways, on the same host too', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const cs = [attach(A, confFor(lab, A, { mode: 'l2' })), attach(B, confFor(lab, B, { mode: 'l2' })), attach(C, confFor(lab, C, { mode: 'l2' }))];
    const a2 = attach(A, confFor(lab, A, { mode: 'l2' }));
    expect(cs.map((c) => c.ip)).toEqual(['10.50.0.10', '10.50.0.60', '10.50.0.110']);
    expect(a2.ip).toBe('10.50.0.11');
    await expectConnected([...cs, a2]);

    const dev = link(A.ns, 'vx-tvxnet');
    expect(dev.linkinfo.info_kind).toBe('vxlan');
    expect(dev.linkinfo.info_data).toMatchObject({ id: 42, port: 4789, local: A.ip4, link: 'und0', learning: true });
    expect(dev.master).toBe('tvxnet0');
    const flood = fdb(A.ns, 'vx-tvxnet').filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst).sort();
    expect(flood).toEqual([B.ip4, C.ip4]);
  });
});
