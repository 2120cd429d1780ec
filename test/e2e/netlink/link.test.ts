import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitOperUp, withNetlinkIn, type Link } from '../../../shared/netlink';
import { deleteAllNetns, leakedNetns } from '../../helpers/netns';
import { clearLinks, expectNlError, ipLink, makeNs, type Ns } from './fixture';

let host: Ns;
let ctr: Ns;

beforeAll(() => {
  host = makeNs();
  ctr = makeNs();
});
afterAll(() => {
  host?.close();
  ctr?.close();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
afterEach(() => {
  // Each test starts from a namespace holding only lo.
  for (const ns of [host, ctr]) clearLinks(ns);
});

const byName = (ns: Ns, name: string): Link => {
  const l = ns.nl.linkByName(name);
  if (!l) throw new Error(`${name} not found in ${ns.name}`);
  return l;
};

describe('links', () => {
  it('lists lo like ip does', () => {
    const links = host.nl.linkList();
    expect(links.map((l) => l.name)).toEqual(host.ip(['link']).map((l: any) => l.ifname));
    const lo = links.find((l) => l.name === 'lo')!;
    expect(lo).toMatchObject({ index: 1, kind: 'loopback', up: true, mtu: 65536, mac: '00:00:00:00:00:00' });
  });

  it('creates a veth whose peer lands in another netns, with mtu, macs and up', () => {
    host.nl.linkAdd({
      name: 'veth-h', kind: 'veth', mtu: 1400, mac: '02:00:00:00:01:01', up: true,
      veth: { peerName: 'eth0', peerNetnsFd: ctr.fd, peerMac: '02:00:00:00:01:02' },
    });
    const h = byName(host, 'veth-h');
    const c = byName(ctr, 'eth0');
    expect(host.nl.linkByName('eth0')).toBeUndefined();
    expect(h).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:00:00:00:01:01', up: true });
    // Peer mtu follows the link mtu when not given separately.
    expect(c).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:00:00:00:01:02', up: false });
    // IFLA_LINK names the peer's ifindex in the other namespace.
    expect(h.link).toBe(c.index);
    expect(c.link).toBe(h.index);
    expect(h.linkNetnsId).toBeTypeOf('number');
    const ih = ipLink(host, 'veth-h');
    expect(ih).toMatchObject({ ifindex: h.index, mtu: 1400, address: '02:00:00:00:01:01', link_index: c.index });
    expect(ih.flags).toContain('UP');
    expect(ih.linkinfo.info_kind).toBe('veth');
    expect(ipLink(ctr, 'eth0')).toMatchObject({ ifindex: c.index, address: '02:00:00:00:01:02', mtu: 1400 });
  });

  it('creates a veth with a distinct peer mtu, both ends in one netns', () => {
    host.nl.linkAdd({ name: 'va', kind: 'veth', mtu: 9000, veth: { peerName: 'vb', peerMtu: 1500 } });
    expect(ipLink(host, 'va').mtu).toBe(9000);
    expect(ipLink(host, 'vb').mtu).toBe(1500);
    expect(byName(host, 'va').link).toBe(byName(host, 'vb').index);
  });

  it('creates a link directly in another netns (IFLA_NET_NS_FD)', () => {
    host.nl.linkAdd({ name: 'brx', kind: 'bridge', netnsFd: ctr.fd });
    expect(host.nl.linkByName('brx')).toBeUndefined();
    expect(ipLink(ctr, 'brx').linkinfo.info_kind).toBe('bridge');
  });

  it('creates a bridge and reads its settings back', () => {
    host.nl.linkAdd({ name: 'br0', kind: 'bridge', mtu: 1450, txqlen: 500, up: true });
    const br = byName(host, 'br0');
    expect(br).toMatchObject({ kind: 'bridge', mtu: 1450, txqlen: 500, up: true, bridge: { vlanFiltering: false, stpState: 0 } });
    const ib = ipLink(host, 'br0');
    expect(ib.linkinfo.info_data.vlan_filtering).toBe(0);
    expect(ib.txqlen).toBe(500);
    expect(ib.address).toBe(br.mac);
  });

  it('creates vxlan devices with IPv4 and IPv6 local addresses', () => {
    host.nl.linkAdd({ name: 'vx4', kind: 'vxlan', mtu: 1450, vxlan: { id: 100, port: 4789, local: '10.9.0.1', learning: false, ttl: 64 } });
    host.nl.linkAdd({ name: 'vx6', kind: 'vxlan', vxlan: { id: 101, port: 8472, local: 'fd00::1', udp6ZeroCsumTx: true, udp6ZeroCsumRx: true } });
    expect(byName(host, 'vx4').vxlan).toEqual({ id: 100, port: 4789, local: '10.9.0.1', learning: false, ttl: 64 });
    expect(byName(host, 'vx6').vxlan).toMatchObject({ id: 101, port: 8472, local: 'fd00::1', learning: true });
    const d4 = ipLink(host, 'vx4').linkinfo.info_data;
    expect(d4).toMatchObject({ id: 100, local: '10.9.0.1', port: 4789, learning: false, ttl: 64 });
    const d6 = ipLink(host, 'vx6').linkinfo.info_data;
    expect(d6).toMatchObject({ id: 101, local6: 'fd00::1', port: 8472, udp_zero_csum6_tx: true, udp_zero_csum6_rx: true });
  });

  it('flips learning on a live vxlan device without recreating it', () => {
    host.nl.linkAdd({ name: 'vxl', kind: 'vxlan', vxlan: { id: 300, port: 4789, local: '10.9.0.3', learning: true } });
    const before = byName(host, 'vxl');
    host.nl.vxlanSetLearning(before.index, false);
    expect(byName(host, 'vxl')).toMatchObject({ index: before.index, vxlan: { id: 300, port: 4789, learning: false } });
    expect(ipLink(host, 'vxl').linkinfo.info_data).toMatchObject({ id: 300, learning: false, port: 4789 });
    host.nl.vxlanSetLearning(before.index, true);
    expect(ipLink(host, 'vxl').linkinfo.info_data.learning).toBe(true);
  });

  it('creates a vxlan bound to a lower device with a multicast group', () => {
    host.nl.linkAdd({ name: 'low', kind: 'veth', veth: { peerName: 'low-p' } });
    const low = byName(host, 'low');
    host.nl.linkAdd({ name: 'vxg', kind: 'vxlan', vxlan: { id: 7, port: 4789, group: '239.1.1.1', link: low.index } });
    expect(byName(host, 'vxg').vxlan).toMatchObject({ group: '239.1.1.1', link: low.index });
    expect(ipLink(host, 'vxg').linkinfo.info_data).toMatchObject({ group: '239.1.1.1', link: 'low' });
  });

  it('creates a macvlan on a veth, in every mode', () => {
    host.nl.linkAdd({ name: 'phys', kind: 'veth', veth: { peerName: 'phys-p' } });
    const phys = byName(host, 'phys');
    for (const mode of ['bridge', 'private', 'vepa', 'passthru'] as const) {
      host.nl.linkAdd({ name: 'mv0', kind: 'macvlan', macvlan: { mode, link: phys.index } });
      const mv = byName(host, 'mv0');
      expect(mv).toMatchObject({ kind: 'macvlan', link: phys.index, macvlan: { mode } });
      expect(ipLink(host, 'mv0').linkinfo.info_data.mode).toBe(mode);
      host.nl.linkDel(mv.index);
    }
  });

  it('creates a macvlan straight into the container netns', () => {
    host.nl.linkAdd({ name: 'phys', kind: 'veth', veth: { peerName: 'phys-p' } });
    host.nl.linkAdd({ name: 'mvc', kind: 'macvlan', netnsFd: ctr.fd, mtu: 1400, macvlan: { mode: 'bridge', link: byName(host, 'phys').index } });
    expect(host.nl.linkByName('mvc')).toBeUndefined();
    expect(ipLink(ctr, 'mvc')).toMatchObject({ mtu: 1400, linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge' } } });
  });

  it('sets up/down, mtu, mac, txqlen, promisc and allmulti', () => {
    host.nl.linkAdd({ name: 'a0', kind: 'veth', veth: { peerName: 'a1' } });
    const a = byName(host, 'a0');
    host.nl.linkSetUp(a.index);
    host.nl.linkSetMtu(a.index, 1300);
    host.nl.linkSetMac(a.index, '02:11:22:33:44:55');
    host.nl.linkSetTxqlen(a.index, 42);
    host.nl.linkSetPromisc(a.index, true);
    host.nl.linkSetAllmulti(a.index, true);
    const got = byName(host, 'a0');
    expect(got).toMatchObject({ up: true, mtu: 1300, mac: '02:11:22:33:44:55', txqlen: 42, promisc: true });
    const il = ipLink(host, 'a0');
    expect(il.flags).toEqual(expect.arrayContaining(['UP', 'PROMISC', 'ALLMULTI']));
    expect(il).toMatchObject({ mtu: 1300, address: '02:11:22:33:44:55', txqlen: 42 });
    // The peer is down, so the link cannot be operationally up.
    expect(got.operstate).toBe('lowerlayerdown');
    host.nl.linkSetUp(byName(host, 'a1').index);
    expect(['up', 'unknown']).toContain(host.nl.linkByIndex(a.index)!.operstate);
    host.nl.linkSetUp(a.index, false);
    host.nl.linkSetPromisc(a.index, false);
    host.nl.linkSetAllmulti(a.index, false);
    const off = ipLink(host, 'a0');
    expect(off.flags).not.toContain('UP');
    expect(off.flags).not.toContain('PROMISC');
    expect(off.flags).not.toContain('ALLMULTI');
    expect(byName(host, 'a0')).toMatchObject({ up: false, promisc: false, operstate: 'down' });
  });

  it('enslaves to a bridge and releases (master 0)', () => {
    host.nl.linkAdd({ name: 'br1', kind: 'bridge' });
    host.nl.linkAdd({ name: 'p0', kind: 'veth', veth: { peerName: 'p1' } });
    const br = byName(host, 'br1');
    const p = byName(host, 'p0');
    host.nl.linkSetMaster(p.index, br.index);
    expect(byName(host, 'p0').master).toBe(br.index);
    expect(ipLink(host, 'p0').master).toBe('br1');
    expect(byName(host, 'p0').brport).toMatchObject({ learning: true, hairpin: false });
    host.nl.linkSetMaster(p.index, 0);
    expect(byName(host, 'p0').master).toBeUndefined();
    expect(ipLink(host, 'p0').master).toBeUndefined();
  });

  it('enslaves at creation time (IFLA_MASTER on RTM_NEWLINK)', () => {
    host.nl.linkAdd({ name: 'br2', kind: 'bridge' });
    const br = byName(host, 'br2');
    host.nl.linkAdd({ name: 'q0', kind: 'veth', master: br.index, veth: { peerName: 'q1' } });
    expect(ipLink(host, 'q0').master).toBe('br2');
  });

  it('renames and moves a link into another netns', () => {
    host.nl.linkAdd({ name: 'tmp0', kind: 'veth', veth: { peerName: 'tmp1' } });
    const t = byName(host, 'tmp0');
    host.nl.linkRename(t.index, 'renamed0');
    expect(host.nl.linkByName('tmp0')).toBeUndefined();
    expect(byName(host, 'renamed0').index).toBe(t.index);
    expect(ipLink(host, 'renamed0').ifindex).toBe(t.index);
    host.nl.linkSetNetns(t.index, ctr.fd);
    expect(host.nl.linkByIndex(t.index)).toBeUndefined();
    expect(ipLink(ctr, 'renamed0')).toBeDefined();
    expect(byName(ctr, 'renamed0').kind).toBe('veth');
  });

  it('deletes a link (and its veth peer)', () => {
    host.nl.linkAdd({ name: 'd0', kind: 'veth', veth: { peerName: 'd1', peerNetnsFd: ctr.fd } });
    host.nl.linkDel(byName(host, 'd0').index);
    expect(host.ip(['link']).map((l: any) => l.ifname)).toEqual(['lo']);
    expect(ctr.ip(['link']).map((l: any) => l.ifname)).toEqual(['lo']);
  });

  it('looks links up by name and index, undefined when missing', () => {
    expect(host.nl.linkByName('nothere')).toBeUndefined();
    expect(host.nl.linkByName('x'.repeat(20))).toBeUndefined();
    expect(host.nl.linkByIndex(99999)).toBeUndefined();
    expect(host.nl.linkByIndex(1)!.name).toBe('lo');
  });

  it('reports EEXIST on a duplicate and ENODEV on a missing link, changing nothing', () => {
    host.nl.linkAdd({ name: 'dup', kind: 'bridge' });
    const before = host.ip(['link']);
    const e = expectNlError(() => host.nl.linkAdd({ name: 'dup', kind: 'bridge' }), 'EEXIST');
    expect(e.errno).toBe(17);
    expect(e.message).toContain('dup');
    expectNlError(() => host.nl.linkDel(99999), 'ENODEV');
    expectNlError(() => host.nl.linkSetMtu(99999, 1400), 'ENODEV');
    expectNlError(() => host.nl.linkAdd({ name: 'mvx', kind: 'macvlan', macvlan: { mode: 'bridge', link: 99999 } }), 'ENODEV');
    expect(host.ip(['link'])).toEqual(before);
  });

  it('rejects bad input before asking the kernel', () => {
    const before = host.ip(['link']);
    expectNlError(() => host.nl.linkAdd({ name: 'way-too-long-name0', kind: 'bridge' }), 'EINVAL');
    expectNlError(() => host.nl.linkAdd({ name: 'ok0', kind: 'veth', veth: { peerName: 'bad/name' } }), 'EINVAL');
    expectNlError(() => host.nl.linkAdd({ name: 'ok0', kind: 'bridge', mac: 'zz:00:00:00:00:00' }), 'EINVAL');
    expectNlError(() => host.nl.linkAdd({ name: 'ok0', kind: 'vxlan', vxlan: { id: 1, port: 4789, local: '10.0.0' } }), 'EINVAL');
    expectNlError(() => host.nl.linkAdd({ name: 'ok0', kind: 'veth' }), 'EINVAL');
    expect(host.ip(['link'])).toEqual(before);
  });

  it('carries the kernel extended ack message in the error', () => {
    host.nl.linkAdd({ name: 'br3', kind: 'bridge' });
    // A bridge cannot be its own port: the kernel explains why.
    const br = byName(host, 'br3');
    const e = expectNlError(() => host.nl.linkSetMaster(br.index, br.index), 'ELOOP') as Error & { extAck?: string };
    expect(e.extAck ?? '').not.toBe('');
    expect(e.message).toContain(e.extAck!);
  });

  it('withNetlinkIn runs inside the netns and closes the socket', () => {
    host.nl.linkAdd({ name: 'seen', kind: 'bridge', netnsFd: ctr.fd });
    const names = withNetlinkIn(ctr.path, (nl) => nl.linkList().map((l) => l.name));
    expect(names).toContain('seen');
  });

  it('a socket opened inside a netns keeps talking to it from the host thread', () => {
    // ctr.nl was opened inside the container netns; this call runs in the test's own netns.
    ctr.nl.linkAdd({ name: 'stay', kind: 'bridge' });
    expect(ipLink(ctr, 'stay')).toBeDefined();
    expect(host.nl.linkByName('stay')).toBeUndefined();
  });

  it('dumps across several datagrams (many links)', () => {
    for (let i = 0; i < 150; i++) host.nl.linkAdd({ name: `m${i}`, kind: 'veth', veth: { peerName: `n${i}` } });
    const links = host.nl.linkList();
    expect(links.length).toBe(301);
    expect(new Set(links.map((l) => l.index)).size).toBe(301);
    expect(links.map((l) => l.name).sort()).toEqual(host.ip(['link']).map((l: any) => l.ifname).sort());
  });

  it('waitOperUp returns up once both veth ends are up, the last state on timeout', () => {
    host.nl.linkAdd({ name: 'w0', kind: 'veth', up: true, veth: { peerName: 'w1' } });
    const w0 = byName(host, 'w0').index;
    expect(waitOperUp(host.nl, w0, 30)).toBe('lowerlayerdown');
    host.nl.linkSetUp(byName(host, 'w1').index);
    expect(waitOperUp(host.nl, w0, 5000)).toBe('up');
    expect(host.ip(['link', 'show', 'dev', 'w0'])[0].operstate).toBe('UP');
    expect(waitOperUp(host.nl, 99999, 10)).toBe('notpresent');
  });
});
