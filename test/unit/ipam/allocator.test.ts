import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { allocate, candidates } from '../../../shared/ipam/allocator';
import { formatIp, parseIp } from '../../../shared/cni/ip';
import { canonicalizeRangeSet } from '../../../shared/ipam/range';
import { Store } from '../../../shared/ipam/store';

const ip = (s: string) => parseIp(s)!;
const order = (specs: object[], last?: string, n = 100) => {
  const out: string[] = [];
  for (const c of candidates(canonicalizeRangeSet(specs), last ? ip(last) : undefined)) {
    out.push(formatIp(c.ip));
    if (out.length >= n) break;
  }
  return out;
};

describe('round-robin order (the reference RangeIter)', () => {
  it('starts at rangeStart, skips the gateway, ends at rangeEnd', () => {
    expect(order([{ subnet: '10.0.0.0/29' }])).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(order([{ subnet: '10.0.0.0/29', gateway: '10.0.0.4' }])).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5', '10.0.0.6']);
  });

  it('continues after last_reserved_ip, wraps across the ranges of a set, and tries last_reserved last', () => {
    const set = [
      { subnet: '10.0.0.0/29', rangeStart: '10.0.0.2', rangeEnd: '10.0.0.4' },
      { subnet: '10.0.1.0/29', rangeStart: '10.0.1.5', rangeEnd: '10.0.1.6' },
    ];
    expect(order(set)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.1.5', '10.0.1.6']);
    expect(order(set, '10.0.0.3')).toEqual(['10.0.0.4', '10.0.1.5', '10.0.1.6', '10.0.0.2', '10.0.0.3']);
    expect(order(set, '10.0.1.6')).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.1.5', '10.0.1.6']);
    // A last_reserved_ip outside the set (ranges changed) restarts at the first rangeStart.
    expect(order(set, '10.9.9.9')).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.1.5', '10.0.1.6']);
  });

  it('never yields the v4 network or broadcast even when the range includes them', () => {
    expect(order([{ subnet: '10.0.0.0/30', rangeStart: '10.0.0.0', rangeEnd: '10.0.0.3' }])).toEqual(['10.0.0.2']);
  });

  it('handles v6 with BigInt arithmetic across a 64-bit boundary', () => {
    expect(order([{ subnet: 'fd00::/64', rangeStart: 'fd00::ffff:ffff:ffff:fffe' }], undefined, 3)).toEqual(['fd00::ffff:ffff:ffff:fffe', 'fd00::ffff:ffff:ffff:ffff']);
    expect(order([{ subnet: 'fd00::/120' }], 'fd00::fe', 3)).toEqual(['fd00::ff', 'fd00::2', 'fd00::3']);
  });
});

describe('allocate on a real store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const open = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'thl-alloc-'));
    dirs.push(d);
    return { d, store: Store.open(d, 'net') };
  };
  const owner = (n: number) => ({ containerId: `c${n}`, ifname: 'eth0' });

  it('hands out each address once, then fails with code 110 naming the range', () => {
    const { d, store } = open();
    const set = canonicalizeRangeSet([{ subnet: '10.5.0.0/29' }]);
    const got = store.transaction(() => [1, 2, 3, 4, 5].map((n) => formatIp(allocate(store, set, 0, owner(n)).ip)));
    expect(got).toEqual(['10.5.0.2', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6']);
    let err: unknown;
    try {
      store.transaction(() => allocate(store, set, 0, owner(6)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(110);
    expect((err as CniError).message).toBe('no IP addresses available in range set: 10.5.0.1-10.5.0.6');
    expect(fs.readFileSync(path.join(d, 'net', 'last_reserved_ip.0'), 'utf8')).toBe('10.5.0.6');
    expect(fs.readFileSync(path.join(d, 'net', '10.5.0.4'), 'utf8')).toBe('c3\r\neth0');
    expect(fs.statSync(path.join(d, 'net', '10.5.0.4')).mode & 0o777).toBe(0o600);
    store.close();
  });

  it('honours a requested address, refuses it when taken (111) and refuses a duplicate owner (111)', () => {
    const { store } = open();
    const set = canonicalizeRangeSet([{ subnet: '10.6.0.0/24' }]);
    expect(formatIp(store.transaction(() => allocate(store, set, 0, owner(1), ip('10.6.0.77'))).ip)).toBe('10.6.0.77');
    // The next free address follows the requested one, as in the reference.
    expect(formatIp(store.transaction(() => allocate(store, set, 0, owner(2))).ip)).toBe('10.6.0.78');
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return [(e as CniError).code, (e as CniError).message];
      }
      return undefined;
    };
    expect(codeOf(() => store.transaction(() => allocate(store, set, 0, owner(3), ip('10.6.0.77'))))).toEqual([
      111,
      'requested IP address 10.6.0.77 is not available in range set 10.6.0.1-10.6.0.254',
    ]);
    expect(codeOf(() => store.transaction(() => allocate(store, set, 0, owner(1))))).toEqual([111, '10.6.0.77 has been allocated to c1, duplicate allocation is not allowed']);
    store.close();
  });

  it('skips a long run of taken addresses (listing the store once) and still finds the free one', () => {
    const { d, store } = open();
    const set = canonicalizeRangeSet([{ subnet: '10.7.0.0/22' }]);
    for (let i = 2; i < 700; i++) fs.writeFileSync(path.join(d, 'net', `10.7.${i >> 8}.${i & 255}`), `x${i}\r\neth0`);
    expect(formatIp(store.transaction(() => allocate(store, set, 0, owner(1))).ip)).toBe('10.7.2.188');
    store.close();
  });
});
