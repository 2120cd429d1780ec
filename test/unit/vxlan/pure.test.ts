import { describe, expect, it } from 'vitest';
import { parseSubnet, subnetContainsIp } from '../../../shared/overlay/addr';
import { rangeWithin } from '../../../shared/cni/ip';
import { diffEntries, desiredEntries, ZERO_MAC } from '../../../shared/overlay/entries';
import { renderFirewall } from '../../../shared/overlay/firewall';
import { derivedIfName } from '../../../shared/overlay/names';
import { deriveVtepMac } from '../../../shared/overlay/vtep-mac';

describe('addresses', () => {
  it('subnets: strict alignment, containment, v6', () => {
    expect(parseSubnet('10.0.0.1/24', true)).toBeUndefined();
    expect(parseSubnet('10.0.0.1/24')?.network).toBe('10.0.0.0');
    const net = parseSubnet('10.244.0.0/16')!;
    expect(rangeWithin(parseSubnet('10.244.3.0/24')!, net)).toBe(true);
    expect(rangeWithin(parseSubnet('10.245.3.0/24')!, net)).toBe(false);
    expect(subnetContainsIp(parseSubnet('fd00::/64')!, 'fd00::ffff')).toBe(true);
    expect(subnetContainsIp(net, 'fd00::1')).toBe(false);
    expect(parseSubnet('10.0.0.0/33')).toBeUndefined();
    expect(parseSubnet('fd00::1/64', true)).toBeUndefined();
    expect(parseSubnet('fd00::1/64')).toEqual({ family: 6, network: 'fd00::', prefix: 64, first: 0xfd00n << 112n, last: (0xfd00n << 112n) | ((1n << 64n) - 1n) });
  });
});

describe('names and MACs', () => {
  it('short names are kept, long ones truncated with a hash', () => {
    expect(derivedIfName('vx-', 'ovl')).toBe('vx-ovl');
    const n = derivedIfName('vx-', 'production-overlay');
    expect(n).toMatch(/^vx-[a-z-]+-[0-9a-f]{5}$/);
    expect(Buffer.byteLength(n)).toBe(15);
  });
  it('VTEP MACs are stable, locally administered unicast, and differ per host', () => {
    const a = deriveVtepMac('ovl', '192.0.2.11');
    expect(deriveVtepMac('ovl', '192.0.2.11')).toBe(a);
    expect(deriveVtepMac('ovl', '192.0.2.12')).not.toBe(a);
    const first = parseInt(a.slice(0, 2), 16);
    expect(first & 0x02).toBe(2);
    expect(first & 0x01).toBe(0);
  });
});

describe('peer entries', () => {
  const peers = [
    { underlayIP: '192.0.2.12', mac: '02:00:00:00:00:12', subnet: parseSubnet('10.244.2.0/24')! },
    { underlayIP: '192.0.2.13', mac: '02:00:00:00:00:13', subnet: parseSubnet('10.244.3.0/24')! },
  ];
  it('l3: one neighbour, one FDB entry and one onlink route per peer', () => {
    expect(desiredEntries({ mode: 'l3' }, peers)).toEqual({
      neighs: [{ ip: '10.244.2.0', mac: '02:00:00:00:00:12' }, { ip: '10.244.3.0', mac: '02:00:00:00:00:13' }],
      fdb: [{ mac: '02:00:00:00:00:12', dst: '192.0.2.12' }, { mac: '02:00:00:00:00:13', dst: '192.0.2.13' }],
      routes: [{ dst: '10.244.2.0/24', gw: '10.244.2.0' }, { dst: '10.244.3.0/24', gw: '10.244.3.0' }],
    });
  });
  it('l2: an all-zeros flood entry per peer for head-end replication, none with a group', () => {
    expect(desiredEntries({ mode: 'l2', flood: 'headend' }, peers).fdb).toEqual([{ mac: ZERO_MAC, dst: '192.0.2.12' }, { mac: ZERO_MAC, dst: '192.0.2.13' }]);
    expect(desiredEntries({ mode: 'l2', flood: 'multicast' }, peers)).toEqual({ neighs: [], fdb: [], routes: [] });
  });
  it('diff: missing and stale entries; a changed MAC is both a missing and a replaced entry', () => {
    const want = desiredEntries({ mode: 'l3' }, [peers[0]!]);
    const have = desiredEntries({ mode: 'l3' }, [{ ...peers[0]!, mac: '02:00:00:00:00:99' }, peers[1]!]);
    const d = diffEntries(want, have);
    expect(d.missing.neighs).toEqual([{ ip: '10.244.2.0', mac: '02:00:00:00:00:12' }]);
    expect(d.missing.fdb).toEqual([{ mac: '02:00:00:00:00:12', dst: '192.0.2.12' }]);
    expect(d.missing.routes).toEqual([]);
    expect(d.stale.neighs).toEqual([{ ip: '10.244.3.0', mac: '02:00:00:00:00:13' }]);
    expect(d.stale.fdb.map((e) => e.mac).sort()).toEqual(['02:00:00:00:00:13', '02:00:00:00:00:99']);
    expect(d.stale.routes).toEqual([{ dst: '10.244.3.0/24', gw: '10.244.3.0' }]);
    expect(diffEntries(want, want)).toEqual({ missing: { neighs: [], fdb: [], routes: [] }, stale: { neighs: [], fdb: [], routes: [] } });
  });
});

describe('firewall script', () => {
  const base = {
    network: 'ovl',
    vni: 42,
    port: 4789,
    underlayFamily: 4 as const,
    peers: [{ ip: '192.0.2.12', name: 'host"B' }],
    restrictPort: true,
    allowForward: true,
    overlay: '10.244.0.0/16',
    overlayFamily: 4 as const,
  };
  it('drops VXLAN of our VNI from non-peers, accepts forwarding, peers as set elements', () => {
    const s = renderFirewall(base);
    expect(s).toMatch(/add rule inet tscni_vxlan n_[0-9a-f]{12}_in udp dport 4789 @th,96,24 42 ip saddr != @n_[0-9a-f]{12}_peers4 counter drop/);
    expect(s).toMatch(/add element inet tscni_vxlan n_[0-9a-f]{12}_peers4 \{ 192\.0\.2\.12 comment "host_B" \}/);
    expect(s).toMatch(/flush set inet tscni_vxlan n_[0-9a-f]{12}_peers4/);
    expect(s).toMatch(/ip saddr 10\.244\.0\.0\/16 accept/);
    expect(s).toMatch(/delete chain inet tscni_vxlan n_[0-9a-f]{12}_nat/);
  });
  it('IPv6 underlay uses the v6 set; disabled parts delete their chains', () => {
    const s = renderFirewall({ ...base, underlayFamily: 6, peers: [{ ip: 'fd31::2' }], restrictPort: false, allowForward: false, masqSource: '10.244.1.0/24' });
    expect(s).toMatch(/_peers6 \{ fd31::2 \}/);
    expect(s).toMatch(/delete chain inet tscni_vxlan n_[0-9a-f]{12}_in/);
    expect(s).toMatch(/delete chain inet tscni_vxlan n_[0-9a-f]{12}_fwd/);
    expect(s).toMatch(/ip saddr 10\.244\.1\.0\/24 ip daddr != 10\.244\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade/);
  });
});
