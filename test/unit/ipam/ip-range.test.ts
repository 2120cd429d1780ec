import { describe, expect, it } from 'vitest';
import { formatIp } from '../../../shared/cni/ip';
import { canonicalizeRange, canonicalizeRangeSet, rangeSetString, rangeString } from '../../../shared/ipam/range';

describe('range canonicalisation (as the reference)', () => {
  it('fills defaults: gateway and start = network+1, end = broadcast-1 (v4) or last (v6)', () => {
    expect(rangeString(canonicalizeRange({ subnet: '10.1.0.0/16' }))).toBe('10.1.0.1-10.1.255.254');
    expect(formatIp(canonicalizeRange({ subnet: '10.1.0.0/16' }).gateway)).toBe('10.1.0.1');
    expect(rangeString(canonicalizeRange({ subnet: 'fd00:9::/120' }))).toBe('fd00:9::1-fd00:9::ff');
    const r = canonicalizeRange({ subnet: '10.2.0.0/24', rangeStart: '10.2.0.100', rangeEnd: '10.2.0.110', gateway: '10.2.0.254' });
    expect(rangeString(r)).toBe('10.2.0.100-10.2.0.110');
    expect(formatIp(r.gateway)).toBe('10.2.0.254');
  });

  it('rejects what the reference rejects, with its messages', () => {
    const msg = (spec: object) => {
      try {
        canonicalizeRange(spec);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(msg({ subnet: '10.9.9.0/31' })).toBe('Network 10.9.9.0/31 too small to allocate from');
    expect(msg({ subnet: '10.9.9.1/32' })).toBe('Network 10.9.9.1/32 too small to allocate from');
    expect(msg({ subnet: 'fd00::/127' })).toBe('Network fd00::/127 too small to allocate from');
    expect(msg({ subnet: 'fd00::/128' })).toBe('Network fd00::/128 too small to allocate from');
    expect(msg({ subnet: '10.9.9.0/30' })).toBe('accepted');
    expect(msg({ subnet: '10.9.9.5/24' })).toBe('Network has host bits set. For a subnet mask of length 24 the network address is 10.9.9.0');
    expect(msg({ subnet: '10.9.9.0/24', rangeStart: '10.9.8.1' })).toBe('RangeStart 10.9.8.1 not in network 10.9.9.0/24');
    expect(msg({ subnet: '10.9.9.0/24', rangeEnd: '10.9.10.1' })).toBe('RangeEnd 10.9.10.1 not in network 10.9.9.0/24');
    expect(msg({ subnet: '10.9.9.0/24', rangeStart: '10.9.9.50', rangeEnd: '10.9.9.10' })).toBe('RangeStart 10.9.9.50 is after RangeEnd 10.9.9.10');
    expect(msg({ subnet: 'nope' })).toBe('invalid CIDR address: nope');
    expect(msg({ subnet: '10.9.9.0/24', gateway: 'x' })).toMatch(/invalid gateway "x"/);
  });

  it('rejects empty sets, mixed families and overlapping ranges inside a set', () => {
    const msg = (specs: object[]) => {
      try {
        return rangeSetString(canonicalizeRangeSet(specs));
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg([])).toBe('empty range set');
    expect(msg([{ subnet: '10.0.0.0/24' }, { subnet: 'fd00::/64' }])).toBe('mixed address families');
    expect(msg([{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/25' }])).toBe('subnets 10.0.0.1-10.0.0.254 and 10.0.0.1-10.0.0.126 overlap');
    expect(msg([{ subnet: '10.0.0.0/24', rangeEnd: '10.0.0.99' }, { subnet: '10.0.0.0/24', rangeStart: '10.0.0.100' }])).toBe('10.0.0.1-10.0.0.99,10.0.0.100-10.0.0.254');
  });
});
