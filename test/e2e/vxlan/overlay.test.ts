// vxlan end to end: three hosts on a veth/bridge underlay, containers on each, real traffic.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { confFor, fdb, ipOf, link, links, makeLab, neighs, routes, type Host, type Lab } from './fixture';

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

  it('multicast flooding: the group is joined on the underlay and containers talk', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const extra = { flood: 'multicast', group: '239.1.1.42' };
    const cs = lab.hosts.map((h) => attach(h, confFor(lab, h, { mode: 'l2', extra })));
    await expectConnected(cs);
    const dev = link(A.ns, 'vx-tvxnet');
    expect(dev.linkinfo.info_data.group).toBe('239.1.1.42');
    expect(inNetns(A.ns, ['ip', 'maddr', 'show', 'dev', 'und0'])).toContain('239.1.1.42');
    // No per-peer flood entries: the group is the only all-zeros destination.
    expect(fdb(B.ns, 'vx-tvxnet').filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst)).toEqual(['239.1.1.42']);
    void C;
  });

  it('IPv6 underlay: device local is the v6 address, MTU is underlay - 70', async () => {
    const [A] = lab.hosts as [Host];
    const cs = lab.hosts.map((h) => attach(h, confFor(lab, h, { mode: 'l2', v6Underlay: true })));
    await expectConnected(cs);
    const dev = link(A.ns, 'vx-tvxnet');
    expect(dev.linkinfo.info_data.local6).toBe(A.ip6);
    expect(dev.mtu).toBe(1430);
    expect(link(cs[0]!.ns, 'eth0').mtu).toBe(1430);
  });
});

describe('vxlan l3 (flannel)', () => {
  it('per-host subnets: one neighbour, FDB entry and route per peer; traffic both ways', async () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const cs = lab.hosts.map((h) => attach(h, confFor(lab, h, { mode: 'l3' })));
    const a2 = attach(A, confFor(lab, A, { mode: 'l3' }));
    expect(cs.map((c) => c.ip)).toEqual(['10.244.1.2', '10.244.2.2', '10.244.3.2']);
    await expectConnected([...cs, a2]);

    const dev = link(A.ns, 'vx-tvxnet');
    expect(dev.linkinfo.info_data).toMatchObject({ id: 42, port: 4789, local: A.ip4, learning: false });
    expect(dev.master).toBeUndefined();
    const macB = link(B.ns, 'vx-tvxnet').address;
    expect(neighs(A.ns, 'vx-tvxnet').find((n) => n.dst === '10.244.2.0')).toMatchObject({ lladdr: macB, state: ['PERMANENT'] });
    expect(fdb(A.ns, 'vx-tvxnet').find((e) => e.mac === macB)).toMatchObject({ dst: B.ip4 });
    const rs = routes(A.ns, 'vx-tvxnet').map((r) => `${r.dst} via ${r.gateway}`).sort();
    expect(rs).toEqual(['10.244.2.0/24 via 10.244.2.0', '10.244.3.0/24 via 10.244.3.0']);
    expect(inNetns(A.ns, ['ip', '-j', 'addr', 'show', 'dev', 'vx-tvxnet'])).toContain('"local":"10.244.1.0","prefixlen":32');
    expect(inNetns(A.ns, ['sysctl', '-n', 'net.ipv4.ip_forward']).trim()).toBe('1');
    // Routed, not bridged: two hops.
    expect(inNetns(cs[0]!.ns, ['ping', '-c', '1', '-W', '1', cs[1]!.ip])).toMatch(/ttl=62/);
    void C;
  });

  it('IPv6 underlay carries an IPv4 overlay', async () => {
    const cs = lab.hosts.map((h) => attach(h, confFor(lab, h, { mode: 'l3', v6Underlay: true })));
    await expectConnected(cs);
    expect(fdb(lab.hosts[0]!.ns, 'vx-tvxnet').map((e) => e.dst).filter(Boolean).sort()).toEqual([lab.hosts[1]!.ip6, lab.hosts[2]!.ip6]);
  });
});

describe('vxlan MTU', () => {
  /** A server that answers with the number of bytes it received. */
  const COUNT_SERVER = `
const net = require('net');
net.createServer((s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => s.end(String(n))); })
  .listen(7001, () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 30000);`;
  const SEND_ONE = `
const net = require('net');
const s = net.connect({ host: process.argv[1], port: 7001 }, () => { s.setNoDelay(true); s.end(Buffer.alloc(Number(process.argv[2]), 7)); });
let r = ''; s.on('data', (d) => (r += d)); s.on('end', () => { process.stdout.write(r); process.exit(0); });
s.setTimeout(5000, () => process.exit(2));`;

  for (const mode of ['l2', 'l3'] as const) {
    it(`${mode}: device and both veth ends carry the configured MTU, a 1400-byte payload crosses in one segment`, async () => {
      const [A, B] = lab.hosts as [Host, Host];
      const extra = { mtu: 1420 };
      const a = attach(A, confFor(lab, A, { mode, extra }));
      const b = attach(B, confFor(lab, B, { mode, extra }));
      const r = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode, extra }));
      expect(r.json.interfaces.filter((i: any) => i.mtu === 1420).map((i: any) => i.name)).toEqual([expect.stringMatching(/^veth/), 'eth0']);
      expect(link(A.ns, 'vx-tvxnet').mtu).toBe(1420);
      const hostVeth = links(A.ns).find((l) => l.ifname.startsWith('veth'));
      expect(hostVeth.mtu).toBe(1420);
      expect(link(a.ns, 'eth0').mtu).toBe(1420);

      const { spawn, spawnSync } = await import('node:child_process');
      const srv = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e', COUNT_SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        await new Promise<void>((res) => srv.stdout!.on('data', () => res()));
        const out = spawnSync('ip', ['netns', 'exec', a.ns, process.execPath, '-e', SEND_ONE, b.ip, '1400'], { encoding: 'utf8', timeout: 10_000 });
        expect(out.stdout).toBe('1400');
      } finally {
        srv.kill('SIGKILL');
      }
      // Full-size frames with DF set cross too (1420 - 28 bytes of IP+ICMP headers).
      expect(ping(a.ns, b.ip, { size: 1392, dontFragment: true })).toBe(true);
      expect(ping(a.ns, b.ip, { size: 1393, dontFragment: true })).toBe(false);
    });
  }

  it('the derived MTU is the underlay MTU minus 50 (IPv4) on the device and veth ends', () => {
    const [A] = lab.hosts as [Host];
    const a = attach(A, confFor(lab, A, { mode: 'l2' }));
    expect(link(A.ns, 'vx-tvxnet').mtu).toBe(1450);
    expect(link(A.ns, 'tvxnet0').mtu).toBe(1450);
    expect(link(a.ns, 'eth0').mtu).toBe(1450);
  });
});
