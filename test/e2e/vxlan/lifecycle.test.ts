// vxlan verbs and control plane: peer list changes reach existing hosts at the next sync point,
// overlapping shares are refused, the VXLAN port only listens to peers, DEL/CHECK/GC/STATUS.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { deleteNetns, inNetns, leakedNetns, sh } from '../../helpers/netns';
import { ping } from '../../helpers/traffic';
import { confFor, fdb, ipOf, link, links, makeLab, neighs, nodeRange, routes, type Host, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab();
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const ok = (r: { code: number; stdout: string; stderr: string }): void => expect(r.code, r.stdout + r.stderr).toBe(0);
const nft = (ns: string): string => inNetns(ns, ['nft', 'list', 'table', 'inet', 'tscni_vxlan'], { allowFail: true });

describe('vxlan peers', () => {
  it('l3: a third host is picked up by CHECK on the others; removing it prunes its entries', () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const two = { mode: 'l3' as const, peers: [A, B] };
    const ctrA = lab.ctr();
    const ra = lab.run('ADD', A, ctrA, confFor(lab, A, two));
    ok(ra);
    const ctrB = lab.ctr();
    const rb = lab.run('ADD', B, ctrB, confFor(lab, B, two));
    ok(rb);
    const ctrC = lab.ctr();
    const rc = lab.run('ADD', C, ctrC, confFor(lab, C, { mode: 'l3' }));
    ok(rc);
    const ipC = ipOf(rc);
    expect(ping(ctrA, ipC)).toBe(false); // A does not know C yet
    expect(routes(A.ns, 'vx-tvxnet').map((r) => r.dst)).toEqual(['10.244.2.0/24']);

    ok(lab.run('CHECK', A, ctrA, { ...confFor(lab, A, { mode: 'l3' }), prevResult: ra.json }));
    ok(lab.run('CHECK', B, ctrB, { ...confFor(lab, B, { mode: 'l3' }), prevResult: rb.json }));
    expect(routes(A.ns, 'vx-tvxnet').map((r) => r.dst).sort()).toEqual(['10.244.2.0/24', '10.244.3.0/24']);
    expect(ping(ctrA, ipC)).toBe(true);
    expect(ping(ctrC, ipOf(rb))).toBe(true);
    expect(nft(A.ns)).toContain(C.ip4);

    // C leaves the list: the next ADD on A prunes its neighbour, FDB entry, route and nft element.
    ok(lab.run('ADD', A, lab.ctr(), confFor(lab, A, two)));
    expect(routes(A.ns, 'vx-tvxnet').map((r) => r.dst)).toEqual(['10.244.2.0/24']);
    expect(neighs(A.ns, 'vx-tvxnet').map((n) => n.dst)).toEqual(['10.244.2.0']);
    expect(fdb(A.ns, 'vx-tvxnet').filter((e) => e.dst).map((e) => e.dst)).toEqual([B.ip4]);
    expect(nft(A.ns)).not.toContain(C.ip4);
    expect(ping(ctrA, ipC)).toBe(false);
    // The saved attachment of ctrA survives a repeated (failing) ADD of the same container.
    expect(lab.run('ADD', A, ctrA, confFor(lab, A, two)).json?.code).toBeDefined();
    expect(fs.existsSync(path.join(A.stateDir, 'tvxnet', `id-${path.basename(ctrA)}-eth0.json`))).toBe(true);
  });

  it('l2: CHECK adds a new peer to the flood list and the nft set, and prunes a removed one', () => {
    const [A, B, C] = lab.hosts as [Host, Host, Host];
    const two = { mode: 'l2' as const, peers: [A, B] };
    const ctrA = lab.ctr();
    const ra = lab.run('ADD', A, ctrA, confFor(lab, A, two));
    ok(ra);
    const ctrC = lab.ctr();
    const rc = lab.run('ADD', C, ctrC, confFor(lab, C, { mode: 'l2' }));
    ok(rc);
    const flood = (h: Host): string[] => fdb(h.ns, 'vx-tvxnet').filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst).sort();
    expect(flood(A)).toEqual([B.ip4]);

    const check = (conf: Record<string, unknown>) => lab.run('CHECK', A, ctrA, { ...conf, prevResult: ra.json });
    ok(check(confFor(lab, A, { mode: 'l2' })));
    expect(flood(A)).toEqual([B.ip4, C.ip4]);
    expect(ping(ctrA, ipOf(rc))).toBe(true);

    ok(check(confFor(lab, A, two)));
    expect(flood(A)).toEqual([B.ip4]);
    expect(nft(A.ns)).not.toContain(C.ip4);
  });

  it('overlapping nodeRange across hosts is refused before anything is created', () => {
    const [A, B] = lab.hosts as [Host, Host];
    // B claims a range that overlaps A's, and both list each other.
    const conf = confFor(lab, B, { mode: 'l2', extra: { nodeRange: { rangeStart: '10.50.0.40', rangeEnd: '10.50.0.80' } } });
    const r = lab.run('ADD', B, lab.ctr(), conf);
    expect(r.json?.code).toBe(7);
    expect(r.json.msg).toMatch(/peers\[\d\]\.nodeRange.*overlaps|nodeRange.*overlaps/);
    expect(link(B.ns, 'vx-tvxnet')).toBeUndefined();
    expect(link(B.ns, 'tvxnet0')).toBeUndefined();

    // Same range on two hosts: identical shares are just as bad.
    const same = confFor(lab, B, { mode: 'l2', extra: { nodeRange: nodeRange(0) } });
    const r2 = lab.run('ADD', B, lab.ctr(), same);
    expect(r2.json?.code).toBe(7);
    expect(r2.json.msg).toMatch(/overlaps nodeRange/);
    void A;
  });

  it('l3: a nodeSubnet outside the network or overlapping a peer is refused, naming the field', () => {
    const [A] = lab.hosts as [Host];
    const [, B] = lab.hosts as [Host, Host];
    const r = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode: 'l3', peers: [B], extra: { nodeSubnet: '10.244.2.0/24' } }));
    expect(r.json?.code).toBe(7);
    expect(r.json.msg).toContain('field "peers[0].subnet": overlaps nodeSubnet');
    // Its own entry in the shared list must agree with nodeSubnet.
    const self = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode: 'l3', extra: { nodeSubnet: '10.244.9.0/24' } }));
    expect(self.json?.code).toBe(7);
    expect(self.json.msg).toContain('field "peers[0].subnet": this host\'s own entry');
    const r2 = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode: 'l3', extra: { nodeSubnet: '10.99.0.0/24' } }));
    expect(r2.json?.code).toBe(7);
    expect(r2.json.msg).toContain('field "nodeSubnet"');
  });
});

describe('vxlan firewall', () => {
  it('VXLAN from a non-peer address is dropped; it is accepted once that address is a peer', () => {
    const [A, B] = lab.hosts as [Host, Host];
    const two = { mode: 'l2' as const, peers: [A, B] };
    const ctrA = lab.ctr();
    const ra = lab.run('ADD', A, ctrA, confFor(lab, A, two));
    ok(ra);
    // An intruder on the underlay with its own VTEP for VNI 42 and an address in the overlay.
    const x = lab.addUnderlayNode(9, 'tvx-intr');
    sh(['ip', '-n', x.ns, 'link', 'add', 'vx', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', x.ip4, 'dev', 'und0']);
    sh(['ip', '-n', x.ns, 'addr', 'add', '10.50.0.250/24', 'dev', 'vx']);
    sh(['ip', '-n', x.ns, 'link', 'set', 'vx', 'up']);
    sh(['bridge', '-n', x.ns, 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx', 'dst', A.ip4]);
    expect(ping(x.ns, ipOf(ra), { count: 2 })).toBe(false);
    expect(nft(A.ns)).toMatch(/counter packets [1-9]\d* bytes \d+ drop/);

    const withX = { ...confFor(lab, A, two), peers: [...(confFor(lab, A, two).peers as object[]), { name: 'x', underlayIP: x.ip4 }] };
    ok(lab.run('CHECK', A, ctrA, { ...withX, prevResult: ra.json }));
    expect(ping(x.ns, ipOf(ra), { count: 2 })).toBe(true);
  });

  it('ipMasq masquerades traffic leaving the overlay but not traffic between hosts', () => {
    const [A, B] = lab.hosts as [Host, Host];
    const extra = { ipMasq: true, ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }] } };
    const ctrA = lab.ctr();
    const ra = lab.run('ADD', A, ctrA, { ...confFor(lab, A, { mode: 'l3', extra }), ipam: { type: 'host-local', dataDir: A.dataDir, routes: [{ dst: '0.0.0.0/0' }] } });
    ok(ra);
    const ctrB = lab.ctr();
    const rb = lab.run('ADD', B, ctrB, { ...confFor(lab, B, { mode: 'l3', extra }), ipam: { type: 'host-local', dataDir: B.dataDir } });
    ok(rb);
    const rules = nft(A.ns);
    expect(rules).toMatch(/ip saddr 10\.244\.1\.0\/24 ip daddr != 10\.244\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade/);
    // Across the overlay B sees A's container address, not a masqueraded one.
    const outside = lab.addUnderlayNode(20, 'tvx-out');
    return (async () => {
      const { startTcpServer, tcpRequest } = await import('../../helpers/traffic');
      const srvB = await startTcpServer(ctrB, '0.0.0.0', 7100);
      const srvOut = await startTcpServer(outside.ns, '0.0.0.0', 7101);
      try {
        expect(tcpRequest(ctrA, ipOf(rb), 7100)).toBe(ipOf(ra));
        expect(tcpRequest(ctrA, outside.ip4, 7101)).toBe(A.ip4);
      } finally {
        srvB.stop();
        srvOut.stop();
      }
    })();
  });
});

describe('vxlan DEL / CHECK / GC / STATUS', () => {
  it('DEL detaches and releases the address, keeps the shared device, and is idempotent', () => {
    const [A] = lab.hosts as [Host];
    const conf = confFor(lab, A, { mode: 'l2' });
    const ctr = lab.ctr();
    const r = lab.run('ADD', A, ctr, conf);
    ok(r);
    const saved = path.join(A.stateDir, 'tvxnet', `id-${path.basename(ctr)}-eth0.json`);
    expect(fs.existsSync(saved)).toBe(true);
    expect(fs.existsSync(path.join(A.dataDir, 'tvxnet', ipOf(r)))).toBe(true);
    ok(lab.run('DEL', A, ctr, conf));
    expect(fs.existsSync(saved)).toBe(false);
    expect(fs.existsSync(path.join(A.dataDir, 'tvxnet', ipOf(r)))).toBe(false);
    expect(links(A.ns).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
    expect(link(A.ns, 'vx-tvxnet')).toBeDefined();
    ok(lab.run('DEL', A, ctr, conf));
    deleteNetns(ctr);
    ok(lab.run('DEL', A, ctr, conf));
  });

  it('removeWhenIdle: the last DEL removes the device, the bridge and the firewall chains', () => {
    const [A] = lab.hosts as [Host];
    const conf = confFor(lab, A, { mode: 'l2', extra: { removeWhenIdle: true } });
    const [c1, c2] = [lab.ctr(), lab.ctr()];
    ok(lab.run('ADD', A, c1, conf));
    ok(lab.run('ADD', A, c2, conf));
    ok(lab.run('DEL', A, c1, conf));
    expect(link(A.ns, 'vx-tvxnet')).toBeDefined();
    ok(lab.run('DEL', A, c2, conf));
    expect(link(A.ns, 'vx-tvxnet')).toBeUndefined();
    expect(link(A.ns, 'tvxnet0')).toBeUndefined();
    expect(nft(A.ns)).not.toContain('_in');
  });

  it('CHECK passes on a healthy attachment and fails on device and MTU drift; a lost peer entry is restored', () => {
    const [A, B] = lab.hosts as [Host, Host];
    const conf = confFor(lab, A, { mode: 'l3' });
    const ctr = lab.ctr();
    const r = lab.run('ADD', A, ctr, conf);
    ok(r);
    const check = () => lab.run('CHECK', A, ctr, { ...conf, prevResult: r.json });
    ok(check());

    sh(['ip', '-n', A.ns, 'route', 'del', '10.244.2.0/24']);
    ok(check());
    expect(routes(A.ns, 'vx-tvxnet').map((x) => x.dst)).toContain('10.244.2.0/24');

    sh(['ip', '-n', ctr, 'link', 'set', 'eth0', 'mtu', '1300']);
    const mtu = check();
    expect(mtu.json?.code).toBe(999);
    expect(mtu.json.msg).toMatch(/container interface eth0 mtu is 1300, expected 1450/);
    sh(['ip', '-n', ctr, 'link', 'set', 'eth0', 'mtu', '1450']);
    ok(check());

    sh(['ip', '-n', A.ns, 'link', 'set', 'vx-tvxnet', 'down']);
    expect(check().json.msg).toMatch(/device is down/);
    sh(['ip', '-n', A.ns, 'link', 'set', 'vx-tvxnet', 'up']);
    inNetns(A.ns, ['nft', 'delete', 'table', 'inet', 'tscni_vxlan']);
    expect(check().json.msg).toMatch(/nft chain tscni_vxlan .* is missing/);
    void B;
  });

  it('a device with the same name but other attributes is an error and is left alone', () => {
    const [A] = lab.hosts as [Host];
    sh(['ip', '-n', A.ns, 'link', 'add', 'vx-tvxnet', 'type', 'vxlan', 'id', '43', 'dstport', '4789', 'local', A.ip4, 'dev', 'und0']);
    const r = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode: 'l2' }));
    expect(r.json?.code).toBe(7);
    expect(r.json.msg).toMatch(/vni is 43, config says 42/);
    expect(link(A.ns, 'vx-tvxnet').linkinfo.info_data.id).toBe(43);
    const st = lab.run('STATUS', A, lab.ctr(), confFor(lab, A, { mode: 'l2' }));
    expect(st.json?.code).toBe(50);
  });

  it('another device holding the VNI on the port is reported, not replaced', () => {
    const [A] = lab.hosts as [Host];
    sh(['ip', '-n', A.ns, 'link', 'add', 'other42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', A.ip4, 'dev', 'und0']);
    const r = lab.run('ADD', A, lab.ctr(), confFor(lab, A, { mode: 'l2' }));
    expect(r.json?.code).toBe(7);
    expect(r.json.msg).toContain('already used by device other42');
    expect(link(A.ns, 'other42')).toBeDefined();
  });

  it('STATUS: fine before and after ADD, 50 when the underlay is down or missing', () => {
    const [A] = lab.hosts as [Host];
    const conf = confFor(lab, A, { mode: 'l3' });
    const status = () => run('vxlan', { netns: A.ns, env: cniEnv('STATUS'), stdin: conf });
    ok(status());
    ok(lab.run('ADD', A, lab.ctr(), conf));
    ok(status());
    sh(['ip', '-n', A.ns, 'link', 'set', 'und0', 'down']);
    const down = status();
    expect(down.json?.code).toBe(50);
    expect(down.json.msg).toMatch(/und0 is down/);
    const missing = run('vxlan', { netns: A.ns, env: cniEnv('STATUS'), stdin: { ...conf, underlay: { interface: 'nope0' } } });
    expect(missing.json?.code).toBe(50);
  });

  it("a stale DEL of X (repeated, with and without prevResult, netns gone) leaves Y, which took X's address, working", () => {
    const [A, B] = lab.hosts as [Host, Host];
    const conf = confFor(lab, A, { mode: 'l2' });
    const x = lab.ctr();
    const rx = lab.run('ADD', A, x, conf);
    ok(rx);
    ok(lab.run('DEL', A, x, { ...conf, prevResult: rx.json }));
    // Y asks for X's old address (as a small range would hand it out again).
    const y = lab.ctr();
    const ry = lab.run('ADD', A, y, conf, { CNI_ARGS: `IP=${ipOf(rx)}` });
    ok(ry);
    expect(ipOf(ry)).toBe(ipOf(rx));
    const z = lab.ctr();
    const rz = lab.run('ADD', B, z, confFor(lab, B, { mode: 'l2' }));
    ok(rz);
    expect(ping(z, ipOf(ry))).toBe(true);
    const lease = path.join(A.dataDir, 'tvxnet', ipOf(ry));
    const ySaved = path.join(A.stateDir, 'tvxnet', `id-${path.basename(y)}-eth0.json`);
    const yStill = (when: string): void => {
      expect(fs.readFileSync(lease, 'utf8'), when).toContain(`id-${path.basename(y)}`);
      expect(fs.existsSync(ySaved), when).toBe(true);
      ok(lab.run('CHECK', A, y, { ...conf, prevResult: ry.json }));
      expect(ping(z, ipOf(ry)), when).toBe(true);
      expect(ping(y, ipOf(rz)), when).toBe(true);
    };
    ok(lab.run('DEL', A, x, { ...conf, prevResult: rx.json }));
    yStill('after the stale DEL with prevResult');
    ok(lab.run('DEL', A, x, conf));
    yStill('after the stale DEL without prevResult');
    deleteNetns(x);
    ok(lab.run('DEL', A, x, { ...conf, prevResult: rx.json }));
    yStill("after the stale DEL with X's netns gone");
  });

  it('GC releases addresses and saved state of attachments that are no longer valid', () => {
    const [A] = lab.hosts as [Host];
    const conf = confFor(lab, A, { mode: 'l2' });
    const [keep, gone] = [lab.ctr(), lab.ctr()];
    const rk = lab.run('ADD', A, keep, conf);
    const rg = lab.run('ADD', A, gone, conf);
    ok(rk);
    ok(rg);
    const gc = run('vxlan', {
      netns: A.ns,
      env: cniEnv('GC'),
      stdin: { ...conf, 'cni.dev/valid-attachments': [{ containerID: `id-${path.basename(keep)}`, ifname: 'eth0' }] },
    });
    ok(gc);
    const files = fs.readdirSync(path.join(A.stateDir, 'tvxnet')).filter((f) => f.endsWith('.json'));
    expect(files).toEqual([`id-${path.basename(keep)}-eth0.json`]);
    expect(fs.existsSync(path.join(A.dataDir, 'tvxnet', ipOf(rk)))).toBe(true);
    expect(fs.existsSync(path.join(A.dataDir, 'tvxnet', ipOf(rg)))).toBe(false);
  });
});

describe('vxlan config and versions', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing nodeRange in l2', { nodeRange: undefined }, /field "nodeRange": required/],
    ['vni out of range', { vni: 16777216 }, /field "vni"/],
    ['device name too long', { device: 'a-very-long-device-name' }, /field "device"/],
    ['delegate sets the bridge', { delegate: { bridge: 'x' } }, /field "delegate.bridge"/],
    ['multicast without group', { flood: 'multicast' }, /field "group": required/],
    ['mtu larger than the underlay allows', { mtu: 1480 }, /field "mtu".*leaves 1450/],
    ['unknown underlay interface', { underlay: { interface: 'nope0' } }, /field "underlay.interface"/],
    ['peer of the other family', { peers: [{ underlayIP: 'fd31::2' }] }, /field "peers\[0\].underlayIP"/],
    ['ipam ranges given', { ipam: { type: 'host-local', ranges: [] } }, /field "ipam.ranges"/],
  ];
  for (const [what, patch, msg] of cases) {
    it(`refuses ${what} with code 7 and changes nothing`, () => {
      const [A] = lab.hosts as [Host];
      const r = lab.run('ADD', A, lab.ctr(), { ...confFor(lab, A, { mode: 'l2' }), ...patch });
      expect(r.json?.code, r.stdout).toBe(7);
      expect(r.json.msg).toMatch(msg);
      expect(links(A.ns).map((l) => l.ifname).sort()).toEqual(['lo', 'und0']);
    });
  }

  it('results per version: mtu on interfaces only from 1.0.0; VERSION lists 0.3.0-1.1.0', () => {
    const [A] = lab.hosts as [Host];
    for (const [v, hasMtu] of [['0.3.1', false], ['0.4.0', false], ['1.0.0', true]] as const) {
      const r = lab.run('ADD', A, lab.ctr(), { ...confFor(lab, A, { mode: 'l2' }), cniVersion: v });
      ok(r);
      expect(r.json.cniVersion).toBe(v);
      expect(r.json.interfaces.some((i: any) => i.mtu === 1450)).toBe(hasMtu);
    }
    const ver = run('vxlan', { netns: A.ns, env: { CNI_COMMAND: 'VERSION' }, stdin: '{"cniVersion":"1.1.0"}' });
    expect(ver.json.supportedVersions).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    const old = lab.run('ADD', A, lab.ctr(), { ...confFor(lab, A, { mode: 'l2' }), cniVersion: '0.2.0' });
    expect(old.json?.code).toBe(1);
  });

  it('without underlay settings the default-route interface and its first address are used', () => {
    const [A] = lab.hosts as [Host];
    sh(['ip', '-n', A.ns, 'route', 'add', 'default', 'via', '172.31.0.254', 'dev', 'und0', 'onlink']);
    const conf = { ...confFor(lab, A, { mode: 'l2' }), underlay: undefined };
    ok(lab.run('ADD', A, lab.ctr(), conf));
    expect(link(A.ns, 'vx-tvxnet').linkinfo.info_data).toMatchObject({ local: A.ip4, link: 'und0' });
  });
});

