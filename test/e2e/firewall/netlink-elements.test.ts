// The nftables backend's netlink element path against nft itself, in a throwaway netns: for every
// set it knows, what nft added is listed and looked up exactly as `nft -j list` renders it, and
// what it changes nft lists as if nft had made the change. Outcomes (exists/missing) match
// nft's; with netlink switched off every call answers undefined (the backend then uses nft).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { netlinkChange, netlinkList, netlinkLookup, resetNetlinkElements } from '../../../shared/firewall/nft/netlink-elements';
import { listedElements } from '../../../shared/firewall/nft/run';
import { NFT_SETS, nftSetOf } from '../../../shared/firewall/nft/sets';
import { withNetns } from '../../../shared/netns/netns';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath } from '../../helpers/netns';

let ns: string;
const inNs = <T>(fn: () => T): T => withNetns(netnsPath(ns), fn);
const CHAIN = 'n_0123456789ab_01234567';
/** Sets known by their name pattern only (sets.ts nftSetOf): portmap's hairpin sets. */
const BY_NAME: Record<string, string[]> = { tscni_portmap: ['sub4_24', 'sub6_64'], tscni_masq: [] };
const setNames = (table: string): string[] => [...Object.keys(NFT_SETS[table]!), ...BY_NAME[table]!];

/** The tables with exactly the registry's types (the registry is checked against the real setup scripts elsewhere). */
function setupFromRegistry(): string {
  const lines: string[] = [];
  for (const [table, sets] of Object.entries(NFT_SETS)) {
    lines.push(`add table inet ${table}`);
    for (const s of Object.values(sets)) {
      const data = s.data === undefined ? '' : ` : ${s.data === 'verdict' ? 'verdict' : s.data.join(' . ')}`;
      lines.push(`add ${s.data ? 'map' : 'set'} inet ${table} ${s.name} { type ${s.key.join(' . ')}${data};${s.interval ? ' flags interval;' : ''} }`);
    }
    for (const name of BY_NAME[table]!) {
      const s = nftSetOf(table, name)!;
      lines.push(`add set inet ${table} ${name} { type ${s.key.join(' . ')}; }`);
    }
  }
  lines.push(`add chain inet tscni_masq ${CHAIN}`);
  return lines.join('\n');
}

// One sample element per set, in nft syntax (with nft's own rendering, so listings compare as is).
const SAMPLES: Record<string, string[]> = {
  tscni_portmap: [
    'dnat4 { tcp . 8080 comment "net1/abc/eth0" : 10.1.0.5 . 80 }',
    'dnat6 { udp . 53 comment "net1/abc/eth0" : fd00:1::5 . 5353 }',
    'hdnat4 { 127.0.0.1 . sctp . 9 comment "net1/abc/eth0" : 10.1.0.5 . 9 }',
    'hdnat6 { fd00:2::1 . tcp . 443 comment "net1/abc/eth0" : fd00:1::5 . 8443 }',
    'masq4 { 10.1.0.0/24 . 10.1.0.5 comment "net1/abc/eth0", 127.0.0.1 . 10.1.0.5 comment "net1/abc/eth0", 0.0.0.0/0 . 10.1.0.6 comment "net1/def/eth0" }',
    'masq6 { fd00:1::/64 . fd00:1::5 comment "net1/abc/eth0", ::/0 . fd00:1::6 comment "net1/def/eth0" }',
    'spare4 { tcp . 8080 . 0.0.0.0 . 10.1.0.7 . 80 comment "net2/abc/eth1" }',
    'spare6 { udp . 53 . fd00:2::1 . fd00:1::7 . 53 comment "net2/abc/eth1" }',
    'all4 { 10.1.0.6 comment "net1/def/eth0" }',
    'all6 { fd00:1::6 comment "net1/def/eth0" }',
    'lo4 { 10.1.0.5 comment "net1/abc/eth0" }',
    'sub4_24 { 10.1.0.0 . 10.1.0.5 comment "net1/abc/eth0" }',
    'sub6_64 { fd00:1:: . fd00:1::5 comment "net1/abc/eth0" }',
    'subs { 1048 }',
    'cfg { 0x1234abcd }',
  ],
  tscni_masq: [`src4 { 10.1.0.5 comment "net1/abc/eth0" : goto ${CHAIN} }`, `src6 { fd00:1::5 comment "net1/abc/eth0" : goto ${CHAIN} }`],
};

const nftListed = (table: string) => listedElements(JSON.parse(inNetns(ns, ['nft', '-j', 'list', 'table', 'inet', table])).nftables);
const byKey = <T extends { set: string; key: string }>(a: T[]): T[] => [...a].sort((x, y) => `${x.set} ${x.key}`.localeCompare(`${y.set} ${y.key}`));

beforeAll(() => {
  ns = createNetns('tnfe');
});
afterAll(() => {
  resetNetlinkElements();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
beforeEach(() => {
  resetNetlinkElements();
  inNetns(ns, ['nft', 'flush', 'ruleset']);
  inNetns(ns, ['nft', '-f', '-'], { input: setupFromRegistry() });
});
afterEach(() => {
  delete process.env.TSCNI_NFT_NETLINK;
});

describe('netlink element path vs nft', () => {
  for (const table of Object.keys(NFT_SETS)) {
    it(`${table}: lists and looks up what nft added, rendered as nft renders it`, () => {
      inNetns(ns, ['nft', '-f', '-'], { input: SAMPLES[table]!.map((s) => `add element inet ${table} ${s}`).join('\n') });
      const theirs = nftListed(table);
      expect(theirs.length).toBeGreaterThanOrEqual(setNames(table).length);
      expect(byKey(inNs(() => netlinkList(table, setNames(table)))!)).toEqual(byKey(theirs));
      expect(byKey(inNs(() => netlinkLookup(table, theirs.map((e) => ({ set: e.set, key: e.key }))))!)).toEqual(byKey(theirs));
    });
  }

  it('a lookup is exact in interval sets and skips absent keys, sets and tables', () => {
    inNetns(ns, ['nft', 'add element inet tscni_portmap masq4 { 10.1.0.0/24 . 10.1.0.5 comment "a/b/c" }']);
    const got = inNs(() => netlinkLookup('tscni_portmap', [
      { set: 'masq4', key: '10.1.0.0/24 . 10.1.0.5' },
      { set: 'masq4', key: '10.1.0.9 . 10.1.0.5' }, // inside the interval: not this element
      { set: 'dnat4', key: 'tcp . 1' },
    ]));
    expect(got).toEqual([{ set: 'masq4', key: '10.1.0.0/24 . 10.1.0.5', comment: 'a/b/c' }]);
    inNetns(ns, ['nft', 'delete table inet tscni_portmap']);
    expect(inNs(() => netlinkLookup('tscni_portmap', [{ set: 'dnat4', key: 'tcp . 1' }]))).toEqual([]);
    expect(inNs(() => netlinkList('tscni_portmap'))).toEqual([]);
  });

  it('changes apply as one transaction, with the outcomes nft gives', () => {
    const add = (key: string, value: string, comment?: string) => ({ op: 'add' as const, el: { set: 'dnat4', key, value, comment } });
    const del = (key: string) => ({ op: 'delete' as const, el: { set: 'dnat4', key } });
    expect(inNs(() => netlinkChange('tscni_portmap', [add('tcp . 80', '10.1.0.5 . 80'), del('tcp . 80'), add('tcp . 80', '10.1.0.5 . 80', 'n/c/eth0'), add('udp . 81', '10.1.0.5 . 81', 'n/c/eth0')]))).toEqual({ outcome: 'ok', stderr: '' });
    expect(byKey(nftListed('tscni_portmap'))).toEqual([
      { set: 'dnat4', key: 'tcp . 80', value: '10.1.0.5 . 80', comment: 'n/c/eth0' },
      { set: 'dnat4', key: 'udp . 81', value: '10.1.0.5 . 81', comment: 'n/c/eth0' },
    ]);
    expect(inNs(() => netlinkChange('tscni_portmap', [add('tcp . 82', '10.1.0.6 . 1'), add('tcp . 80', '10.1.0.6 . 80')]))?.outcome).toBe('exists');
    expect(inNs(() => netlinkChange('tscni_portmap', [del('tcp . 99')]))?.outcome).toBe('missing');
    expect(inNs(() => netlinkChange('tscni_masq', [{ op: 'add', el: { set: 'src4', key: '10.1.0.9', value: 'goto n_missing' } }]))?.outcome).toBe('missing');
    expect(nftListed('tscni_portmap')).toHaveLength(2); // the refused batches changed nothing
    inNetns(ns, ['nft', 'delete table inet tscni_portmap']);
    expect(inNs(() => netlinkChange('tscni_portmap', [add('tcp . 80', '10.1.0.5 . 80')]))?.outcome).toBe('missing');
  });

  it('deletes a subnet chain with its last element; busy while another element jumps to it', () => {
    const el = (ip: string) => ({ set: 'src4', key: ip, value: `goto ${CHAIN}` });
    expect(inNs(() => netlinkChange('tscni_masq', [{ op: 'add', el: el('10.1.0.5') }, { op: 'add', el: el('10.1.0.6') }]))?.outcome).toBe('ok');
    const chain = { op: 'delete-chain' as const, chain: CHAIN };
    expect(inNs(() => netlinkChange('tscni_masq', [{ op: 'delete', el: el('10.1.0.5') }, chain]))?.outcome).toBe('busy');
    expect(inNs(() => netlinkChange('tscni_masq', [{ op: 'delete', el: el('10.1.0.5') }, { op: 'delete', el: el('10.1.0.6') }, chain]))?.outcome).toBe('ok');
    expect(inNetns(ns, ['nft', 'list', 'table', 'inet', 'tscni_masq'])).not.toContain(CHAIN);
  });

  it('answers undefined (nft does it) for unknown sets and when switched off', () => {
    expect(inNs(() => netlinkChange('tscni_portmap', [{ op: 'add', el: { set: 'other', key: '1' } }]))).toBeUndefined();
    expect(inNs(() => netlinkList('some_table'))).toBeUndefined();
    expect(inNs(() => netlinkLookup('tscni_portmap', [{ set: 'dnat4', key: 'tcp . eighty' }]))).toBeUndefined();
    // Still usable after an untranslatable call; off for the rest of the process once disabled.
    expect(inNs(() => netlinkList('tscni_portmap'))).toEqual([]);
    process.env.TSCNI_NFT_NETLINK = '0';
    expect(inNs(() => netlinkList('tscni_portmap'))).toBeUndefined();
    delete process.env.TSCNI_NFT_NETLINK;
    expect(inNs(() => netlinkList('tscni_portmap'))).toBeUndefined();
  });
});
