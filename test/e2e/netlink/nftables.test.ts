// nf_tables elements over netlink against the real kernel, in a throwaway netns: what our codec
// adds nft(8) lists with the same key, value and comment; deletes and lookups agree with nft;
// EEXIST/ENOENT come back as typed errors and a refused batch changes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Nftables, NftError, NftExistsError, NftMissingError, addElements, delChain, delElements, type NftSet } from '../../../shared/netlink/nftables';
import { withNetns } from '../../../shared/netns/netns';
import { listedElements } from '../../../shared/firewall/nft/run';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath } from '../../helpers/netns';
import { SETUP, cfg, dnat4, dnat6, hdnat4, iccBr, masq4, masq6, src4 } from '../../unit/netlink/nftables/cases';

const CHAIN = 'n_0123456789ab_01234567';
let ns: string;
let nft: Nftables;

beforeAll(() => {
  ns = createNetns('tnft');
  nft = withNetns(netnsPath(ns), () => Nftables.open());
});
afterAll(() => {
  nft?.close();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
beforeEach(() => {
  inNetns(ns, ['nft', 'flush', 'ruleset']);
  inNetns(ns, ['nft', '-f', '-'], { input: SETUP });
});

/** The elements nft lists for one set: "key", "value", comment (nft's own rendering). */
function nftList(set: NftSet): { key: string; value?: string; comment?: string }[] {
  const out = JSON.parse(inNetns(ns, ['nft', '-j', 'list', set.data ? 'map' : 'set', set.family, set.table, set.name])).nftables;
  return listedElements(out).map(({ key, value, comment }) => ({ key, ...(value === undefined ? {} : { value }), ...(comment === undefined ? {} : { comment }) }));
}

function expectThrown<T extends Error>(fn: () => unknown, cls: new (...a: any[]) => T): T {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as T;
  }
  throw new Error(`expected ${cls.name}, nothing was thrown`);
}

describe('nf_tables elements over netlink', () => {
  it('adds elements nft lists with the same key, value and comment', () => {
    nft.apply([
      addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'net1/abc/eth0' }, { key: ['udp', 53], value: ['10.1.0.6', 5353] }]),
      addElements(dnat6, [{ key: ['sctp', 9], value: ['fd00:1::5', 1], comment: 'net1/abc/eth0' }]),
      addElements(hdnat4, [{ key: ['127.0.0.1', 'tcp', 80], value: ['10.1.0.5', 8080], comment: 'n/c/eth0' }]),
      addElements(masq4, [{ key: ['10.1.0.0/24', '10.1.0.5'], comment: 'n/c/eth0' }, { key: ['127.0.0.1', '10.1.0.5'], comment: 'n/c/eth0' }]),
      addElements(masq6, [{ key: ['fd00:1::/64', 'fd00:1::5'], comment: 'n/c/eth0' }]),
      addElements(src4, [{ key: ['10.1.0.5'], value: { goto: CHAIN }, comment: 'n/c/eth0' }]),
      addElements(cfg, [{ key: [0x1234abcd] }]),
      addElements(iccBr, [{ key: ['cni0', 'cni1'] }]),
    ]);
    const sort = <T extends { key: string }>(a: T[]): T[] => [...a].sort((x, y) => x.key.localeCompare(y.key));
    expect(sort(nftList(dnat4))).toEqual(sort([{ key: 'tcp . 8080', value: '10.1.0.5 . 80', comment: 'net1/abc/eth0' }, { key: 'udp . 53', value: '10.1.0.6 . 5353' }]));
    expect(nftList(dnat6)).toEqual([{ key: 'sctp . 9', value: 'fd00:1::5 . 1', comment: 'net1/abc/eth0' }]);
    expect(nftList(hdnat4)).toEqual([{ key: '127.0.0.1 . tcp . 80', value: '10.1.0.5 . 8080', comment: 'n/c/eth0' }]);
    expect(sort(nftList(masq4))).toEqual(sort([{ key: '10.1.0.0/24 . 10.1.0.5', comment: 'n/c/eth0' }, { key: '127.0.0.1 . 10.1.0.5', comment: 'n/c/eth0' }]));
    expect(nftList(masq6)).toEqual([{ key: 'fd00:1::/64 . fd00:1::5', comment: 'n/c/eth0' }]);
    expect(nftList(src4)).toEqual([{ key: '10.1.0.5', value: `goto ${CHAIN}`, comment: 'n/c/eth0' }]);
    // nft -j prints a mark as a number: the host-endian encoding round-trips to the same one.
    expect(nftList(cfg)).toEqual([{ key: String(0x1234abcd) }]);
    expect(nftList(iccBr)).toEqual([{ key: 'cni0 . cni1' }]);
  });

  it('reads what nft added: get by key (value and comment) and list', () => {
    inNetns(ns, ['nft', `add element inet tscni_portmap dnat4 { tcp . 8080 comment "net1/abc/eth0" : 10.1.0.5 . 80, udp . 53 : 10.1.0.6 . 5353 }`]);
    inNetns(ns, ['nft', `add element inet tscni_masq src4 { 10.1.0.5 comment "n/c/eth0" : goto ${CHAIN} }`]);
    inNetns(ns, ['nft', 'add element inet tscni_portmap masq4 { 10.1.0.0/24 . 10.1.0.5 comment "n/c/eth0" }']);
    expect(nft.get(dnat4, ['tcp', 8080])).toEqual({ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'net1/abc/eth0' });
    expect(nft.get(dnat4, ['udp', 53])).toEqual({ key: ['udp', 53], value: ['10.1.0.6', 5353] });
    expect(nft.get(dnat4, ['tcp', 8081])).toBeUndefined();
    expect(nft.get(src4, ['10.1.0.5'])).toEqual({ key: ['10.1.0.5'], value: { goto: CHAIN }, comment: 'n/c/eth0' });
    expect(nft.get(masq4, ['10.1.0.0/24', '10.1.0.5'])).toEqual({ key: ['10.1.0.0/24', '10.1.0.5'], comment: 'n/c/eth0' });
    expect(nft.list(dnat4)).toHaveLength(2);
    expect(nft.list(masq4)).toEqual([{ key: ['10.1.0.0/24', '10.1.0.5'], comment: 'n/c/eth0' }]);
    expect(nft.list(masq6)).toEqual([]);
  });

  it('deletes elements, including interval ones, in one transaction', () => {
    nft.apply([
      addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80] }, { key: ['tcp', 8081], value: ['10.1.0.5', 81] }]),
      addElements(masq4, [{ key: ['10.1.0.0/24', '10.1.0.5'] }]),
    ]);
    nft.apply([delElements(dnat4, [{ key: ['tcp', 8080] }]), delElements(masq4, [{ key: ['10.1.0.0/24', '10.1.0.5'] }])]);
    expect(nftList(dnat4)).toEqual([{ key: 'tcp . 8081', value: '10.1.0.5 . 81' }]);
    expect(nftList(masq4)).toEqual([]);
  });

  it('EEXIST: an exclusive add of a present key, or another value, aborts the whole batch', () => {
    nft.apply([addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'a/b/c' }])]);
    // A plain add of the identical element is a no-op (the kernel keeps the old comment).
    nft.apply([addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'x/y/z' }])]);
    expect(nft.get(dnat4, ['tcp', 8080])?.comment).toBe('a/b/c');
    const e = expectThrown(() => nft.apply([
      addElements(dnat4, [{ key: ['tcp', 9000], value: ['10.1.0.9', 90] }]),
      addElements(dnat4, [{ key: ['udp', 1], value: ['10.1.0.9', 1] }, { key: ['tcp', 8080], value: ['10.1.0.5', 80] }], { excl: true }),
    ]), NftExistsError);
    expect([e.code, e.blame, e.change, e.element]).toEqual(['EEXIST', 'element', 1, 1]);
    const other = expectThrown(() => nft.apply([addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.6', 80] }])]), NftExistsError);
    expect([other.change, other.element]).toEqual([0, 0]);
    expect(nftList(dnat4)).toEqual([{ key: 'tcp . 8080', value: '10.1.0.5 . 80', comment: 'a/b/c' }]);
  });

  it('ENOENT: missing table, set, goto chain and element are told apart', () => {
    const noTable = { ...dnat4, table: 'tscni_nope' };
    const noSet = { ...dnat4, name: 'nope' };
    const add = { key: ['tcp', 1], value: ['10.1.0.1', 1] } as const;
    expect(expectThrown(() => nft.apply([addElements(noTable, [{ ...add, key: [...add.key], value: [...add.value] }])]), NftMissingError).blame).toBe('table');
    expect(expectThrown(() => nft.apply([addElements(noSet, [{ key: ['tcp', 1], value: ['10.1.0.1', 1] }])]), NftMissingError).blame).toBe('set');
    expect(expectThrown(() => nft.get(noTable, ['tcp', 1]), NftMissingError).blame).toBe('table');
    expect(expectThrown(() => nft.list(noSet), NftMissingError).blame).toBe('set');
    const chain = expectThrown(() => nft.apply([addElements(src4, [{ key: ['10.1.0.5'], value: { goto: 'n_missing' } }])]), NftMissingError);
    expect([chain.blame, chain.element]).toEqual(['element', 0]);
    const gone = expectThrown(() => nft.apply([
      addElements(dnat4, [{ key: ['tcp', 2], value: ['10.1.0.1', 2] }]),
      delElements(dnat4, [{ key: ['tcp', 2] }, { key: ['tcp', 3] }]),
    ]), NftMissingError);
    expect([gone.blame, gone.change, gone.element]).toEqual(['element', 1, 1]);
    expect(nftList(dnat4)).toEqual([]); // the batch was aborted: the add did not happen either
  });

  it('deletes a chain with the last element that jumps to it; EBUSY while another still does', () => {
    nft.apply([addElements(src4, [{ key: ['10.1.0.5'], value: { goto: CHAIN } }, { key: ['10.1.0.6'], value: { goto: CHAIN } }])]);
    const busy = expectThrown(() => nft.apply([delElements(src4, [{ key: ['10.1.0.5'] }]), delChain('inet', 'tscni_masq', CHAIN)]), NftError);
    expect([busy.code, busy.change]).toEqual(['EBUSY', 1]);
    expect(nftList(src4)).toHaveLength(2); // aborted: the element delete did not happen either
    nft.apply([delElements(src4, [{ key: ['10.1.0.5'] }, { key: ['10.1.0.6'] }]), delChain('inet', 'tscni_masq', CHAIN)]);
    expect(nftList(src4)).toEqual([]);
    expect(inNetns(ns, ['nft', 'list', 'chains', 'inet'])).not.toContain(CHAIN);
    const gone = expectThrown(() => nft.apply([delChain('inet', 'tscni_masq', CHAIN)]), NftMissingError);
    expect(gone.blame).toBe('chain');
  });

  it("a chain's use count is its rules plus the elements that jump to it; undefined when it is missing", () => {
    expect(nft.chainUse('inet', 'tscni_masq', CHAIN)).toBe(0);
    nft.apply([addElements(src4, [{ key: ['10.1.0.5'], value: { goto: CHAIN } }, { key: ['10.1.0.6'], value: { goto: CHAIN } }])]);
    expect(nft.chainUse('inet', 'tscni_masq', CHAIN)).toBe(2);
    inNetns(ns, ['nft', `add rule inet tscni_masq ${CHAIN} masquerade`]);
    expect(nft.chainUse('inet', 'tscni_masq', CHAIN)).toBe(3);
    nft.apply([delElements(src4, [{ key: ['10.1.0.5'] }])]);
    expect(nft.chainUse('inet', 'tscni_masq', CHAIN)).toBe(2);
    expect(nft.chainUse('inet', 'tscni_masq', 'no_such_chain')).toBeUndefined();
    expect(nft.chainUse('inet', 'no_such_table', CHAIN)).toBeUndefined();
  });

  it('a stale generation id refuses the batch (ERESTART); the current one applies', () => {
    const gen = nft.generation();
    inNetns(ns, ['nft', 'add element inet tscni_portmap cfg { 0x1 }']);
    expect(nft.generation()).not.toBe(gen);
    const e = expectThrown(() => nft.apply([addElements(cfg, [{ key: [2] }])], { genid: gen }), NftError);
    expect([e.code, e.blame]).toEqual(['ERESTART', 'batch']);
    nft.apply([addElements(cfg, [{ key: [3] }])], { genid: nft.generation() });
    expect(nftList(cfg).map((x) => x.key).sort()).toEqual(['1', '3']);
  });

  it('handles thousands of elements in one change (several messages), and lists them back (a multi-part dump)', () => {
    const els = Array.from({ length: 3000 }, (_, i) => ({ key: ['tcp', 10000 + i] as [string, number], value: ['10.1.2.3', i + 1] as [string, number], comment: `net/${'c'.repeat(64)}/eth${i}` }));
    nft.apply([addElements(dnat4, els)]);
    const back = nft.list(dnat4);
    expect(back).toHaveLength(3000);
    expect(back.find((e) => e.key[1] === 12999)).toEqual(els[2999]);
    // An error in a later message of a split change names the element within the whole change.
    const e = expectThrown(() => nft.apply([addElements(dnat4, [...els.slice(0, 2000), { ...els[2500]!, value: ['10.9.9.9', 1] }])]), NftExistsError);
    expect([e.change, e.element]).toEqual([0, 2000]);
    const late = expectThrown(() => nft.apply([delElements(dnat4, [...els.slice(0, 2000).map((x) => ({ key: x.key })), { key: ['tcp', 9] }])]), NftMissingError);
    expect([late.change, late.element]).toEqual([0, 2000]);
    nft.apply([delElements(dnat4, els.map((e) => ({ key: e.key })))]);
    expect(nft.list(dnat4)).toEqual([]);
  });
});
