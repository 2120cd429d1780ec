// Slices of a network: enumeration, the free list a claim chooses from, usable block ranges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSubnet, subnetText, type Subnet } from '../../../shared/overlay/addr';
import { rangeWithin } from '../../../shared/cni/ip';
import { blockRange, freeSlices, keyToCidr, sliceAt, sliceCount, sliceKey } from '../../../shared/overlay/store/slices';

const net = (s: string): Subnet => parseSubnet(s, true)!;

describe('slices', () => {
  it('enumerates aligned slices of the network', () => {
    const n = net('10.244.0.0/16');
    expect(sliceCount(n, 24)).toBe(256n);
    expect(subnetText(sliceAt(n, 24, 0n))).toBe('10.244.0.0/24');
    expect(subnetText(sliceAt(n, 24, 255n))).toBe('10.244.255.0/24');
    expect(subnetText(sliceAt(net('fd00:1::/48'), 64, 3n))).toBe('fd00:1:0:3::/64');
  });

  it('key segments carry no "/" and map back to the CIDR', () => {
    expect(sliceKey(net('10.244.3.0/24'))).toBe('10.244.3.0-24');
    expect(keyToCidr('10.244.3.0-24')).toBe('10.244.3.0/24');
    expect(keyToCidr(sliceKey(net('fd00::/64')))).toBe('fd00::/64');
  });

  it('the free list skips the first slice for l3, and what is taken', () => {
    const n = net('10.9.0.0/22');
    const taken = new Set(['10.9.1.0-24']);
    expect(freeSlices(n, 24, taken, { skipFirst: true, choices: 16 }).map(subnetText)).toEqual(['10.9.2.0/24', '10.9.3.0/24']);
    expect(freeSlices(n, 24, taken, { skipFirst: false, choices: 16 }).map(subnetText)).toEqual(['10.9.0.0/24', '10.9.2.0/24', '10.9.3.0/24']);
    expect(freeSlices(n, 24, new Set(['10.9.1.0-24', '10.9.2.0-24', '10.9.3.0-24']), { skipFirst: true, choices: 16 })).toEqual([]);
    expect(freeSlices(n, 24, new Set(), { skipFirst: true, choices: 1 }).map(subnetText)).toEqual(['10.9.1.0/24']);
  });

  it('a huge IPv6 space costs no more than the choices asked for', () => {
    const free = freeSlices(net('fd00::/16'), 64, new Set(), { skipFirst: true, choices: 4 });
    expect(free.map(subnetText)).toEqual(['fd00:0:0:1::/64', 'fd00:0:0:2::/64', 'fd00:0:0:3::/64', 'fd00:0:0:4::/64']);
  });

  it('property: free slices are inside the network, of the asked size, distinct and never taken', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 26 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(255)), fc.integer({ min: 1, max: 20 }), (prefix, extra, takenIdx, choices) => {
        const n = net(`10.0.0.0/${prefix}`);
        const len = Math.min(30, prefix + extra);
        const count = sliceCount(n, len);
        const taken = new Set(takenIdx.map((i) => sliceKey(sliceAt(n, len, BigInt(i) % count))));
        const free = freeSlices(n, len, taken, { skipFirst: true, choices });
        expect(free.length).toBeLessThanOrEqual(choices);
        expect(new Set(free.map(sliceKey)).size).toBe(free.length);
        for (const s of free) {
          expect(s.prefix).toBe(len);
          expect(rangeWithin(s, n)).toBe(true);
          expect(taken.has(sliceKey(s))).toBe(false);
          expect(s.first).not.toBe(n.first);
        }
      }),
    );
  });

  it('block ranges leave out the shared subnet\'s network and broadcast addresses', () => {
    const n = net('10.50.0.0/24');
    expect(blockRange(n, net('10.50.0.0/26'))).toEqual({ rangeStart: '10.50.0.1', rangeEnd: '10.50.0.63' });
    expect(blockRange(n, net('10.50.0.64/26'))).toEqual({ rangeStart: '10.50.0.64', rangeEnd: '10.50.0.127' });
    expect(blockRange(n, net('10.50.0.192/26'))).toEqual({ rangeStart: '10.50.0.192', rangeEnd: '10.50.0.254' });
    expect(blockRange(net('fd50::/64'), net('fd50::/66'))).toEqual({ rangeStart: 'fd50::1', rangeEnd: 'fd50::3fff:ffff:ffff:ffff' });
    expect(blockRange(net('10.50.0.0/31'), net('10.50.0.0/31'))).toBeUndefined();
  });
});
