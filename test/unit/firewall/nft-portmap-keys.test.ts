// The nftables portmap masquerade keys (layout 2: hash sets) per family, prefix length and
// masqAll, the keys of layout 1 that DEL/GC/CHECK still find, and the rules that read them.
import { describe, expect, it } from 'vitest';
import {
  legacyMasqElements, masqElements, setupScript, subSet, subnetLengths, subsKey, subsLength,
} from '../../../shared/firewall/nft/portmap-rules';
import type { ContainerAddr, PortmapTarget } from '../../../shared/firewall/portmap-types';

const v4: ContainerAddr = { family: 4, ip: '10.0.0.2', prefix: 24, subnet: '10.0.0.0/24' };
const v4wide: ContainerAddr = { family: 4, ip: '10.8.3.2', prefix: 16, subnet: '10.8.0.0/16' };
const v6: ContainerAddr = { family: 6, ip: 'fd00::2', prefix: 64, subnet: 'fd00::/64' };
const v6odd: ContainerAddr = { family: 6, ip: 'fd00:1:2:3::9', prefix: 52, subnet: 'fd00:1:2::/52' };

const target = (addrs: ContainerAddr[], o: Partial<PortmapTarget> = {}): PortmapTarget => ({
  network: 'n', containerId: 'c', ifname: 'eth0', forwards: [], addrs, snat: true, masqAll: false, markMasqBit: 13, ...o,
});

describe('portmap masquerade keys (hash sets)', () => {
  it('IPv4: network . container in the set of its prefix length, and the container in lo4', () => {
    expect(masqElements(v4, false)).toEqual([{ set: 'sub4_24', key: '10.0.0.0 . 10.0.0.2' }, { set: 'lo4', key: '10.0.0.2' }]);
    expect(masqElements(v4wide, false)).toEqual([{ set: 'sub4_16', key: '10.8.0.0 . 10.8.3.2' }, { set: 'lo4', key: '10.8.3.2' }]);
  });

  it('IPv6: no localhost key (::1 cannot be routed off the host)', () => {
    expect(masqElements(v6, false)).toEqual([{ set: 'sub6_64', key: 'fd00:: . fd00::2' }]);
    expect(masqElements(v6odd, false)).toEqual([{ set: 'sub6_52', key: 'fd00:1:2:: . fd00:1:2:3::9' }]);
  });

  it('masqAll: the container alone, per family', () => {
    expect(masqElements(v4, true)).toEqual([{ set: 'all4', key: '10.0.0.2' }]);
    expect(masqElements(v6, true)).toEqual([{ set: 'all6', key: 'fd00::2' }]);
  });

  it('layout 1 keys (interval sets), still looked for by DEL/GC/CHECK', () => {
    expect(legacyMasqElements(v4, false)).toEqual([{ set: 'masq4', key: '10.0.0.0/24 . 10.0.0.2' }, { set: 'masq4', key: '127.0.0.1 . 10.0.0.2' }]);
    expect(legacyMasqElements(v4, true)).toEqual([{ set: 'masq4', key: '0.0.0.0/0 . 10.0.0.2' }]);
    expect(legacyMasqElements(v6, false)).toEqual([{ set: 'masq6', key: 'fd00::/64 . fd00::2' }]);
    expect(legacyMasqElements(v6, true)).toEqual([{ set: 'masq6', key: '::/0 . fd00::2' }]);
  });

  it('names each prefix length in subs as family << 8 | length, and reads it back', () => {
    expect(subsKey({ family: 4, prefix: 24 })).toBe('1048');
    expect(subsKey({ family: 6, prefix: 128 })).toBe('1664');
    for (const l of [{ family: 4, prefix: 0 }, { family: 4, prefix: 32 }, { family: 6, prefix: 64 }, { family: 6, prefix: 128 }] as const) expect(subsLength(subsKey(l))).toEqual(l);
    expect(subsLength('0x418')).toEqual({ family: 4, prefix: 24 });
    expect(subsLength(String(4 * 256 + 33))).toBeUndefined();
    expect(subsLength('5')).toBeUndefined();
    expect(subSet({ family: 6, prefix: 64 })).toBe('sub6_64');
  });

  it('a target needs the hairpin sets of its lengths only with snat and without masqAll', () => {
    expect(subnetLengths(target([v4, v6]))).toEqual([{ family: 4, prefix: 24 }, { family: 6, prefix: 64 }]);
    expect(subnetLengths(target([v4], { masqAll: true }))).toEqual([]);
    expect(subnetLengths(target([v4], { snat: false }))).toEqual([]);
  });
});

describe('portmap setup script', () => {
  const script = setupScript(target([v4wide, v6]), '0x1', [{ family: 4, prefix: 24 }, { family: 4, prefix: 16 }]);
  const rules = script.split('\n').filter((l) => l.includes('postrouting ct status dnat'));

  it('masks the source to the prefix length for each hairpin set, known lengths and the target\'s', () => {
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip saddr & 255.255.255.0 . ip daddr @sub4_24 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip saddr & 255.255.0.0 . ip daddr @sub4_16 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip6 saddr & ffff:ffff:ffff:ffff:: . ip6 daddr @sub6_64 masquerade');
    expect(rules.filter((r) => r.includes('@sub4_16'))).toHaveLength(1);
    expect(script).toContain('add element inet tscni_portmap subs { 1048 }');
    expect(script).toContain('add element inet tscni_portmap subs { 1600 }');
  });

  it('localhost, masqAll and the layout 1 sets keep their rules; no new set is an interval set', () => {
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip saddr 127.0.0.1 ip daddr @lo4 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip daddr @all4 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip6 daddr @all6 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip saddr . ip daddr @masq4 masquerade');
    expect(rules).toContain('add rule inet tscni_portmap postrouting ct status dnat ip6 saddr . ip6 daddr @masq6 masquerade');
    const interval = script.split('\n').filter((l) => /^add set .*flags interval/.test(l)).map((l) => l.split(' ')[4]);
    expect(interval).toEqual(['masq4', 'masq6']);
  });
});
