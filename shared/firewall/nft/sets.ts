// The types of every set and map the per-container paths change, per table: what the netlink
// element codec needs to encode a key written in nft syntax ("tcp . 8080") the way nft does.
// They repeat the `type …` clauses of the setup scripts (portmap-rules.ts, masq.ts);
// test/unit/firewall/nft-sets.test.ts checks the two agree. The firewall plugin's table
// (forward.ts) writes its elements with nft scripts of its own and is not listed: a table or set
// missing here simply goes through nft. portmap's hairpin sets (one per prefix length, created on
// first use) are known by their name: sub<family>_<length>.
import type { NftSet } from '../../netlink/nftables';

const set = (table: string, name: string, s: Pick<NftSet, 'key' | 'data' | 'interval'>): NftSet => ({ family: 'inet', table, name, ...s });

function tableSets(table: string, sets: Record<string, Pick<NftSet, 'key' | 'data' | 'interval'>>): Record<string, NftSet> {
  return Object.fromEntries(Object.entries(sets).map(([name, s]) => [name, set(table, name, s)]));
}

const addr = (f: 4 | 6) => (f === 4 ? 'ipv4_addr' : 'ipv6_addr') as 'ipv4_addr' | 'ipv6_addr';
const perFamily = <T>(fn: (f: 4 | 6) => T): [T, T] => [fn(4), fn(6)];

const [[dnat4, hdnat4, masq4, spare4, all4], [dnat6, hdnat6, masq6, spare6, all6]] = perFamily((f) => [
  { key: ['inet_proto', 'inet_service'], data: [addr(f), 'inet_service'] },
  { key: [addr(f), 'inet_proto', 'inet_service'], data: [addr(f), 'inet_service'] },
  { key: [addr(f), addr(f)], interval: true },
  { key: ['inet_proto', 'inet_service', addr(f), addr(f), 'inet_service'] },
  { key: [addr(f)] },
] as const satisfies readonly Pick<NftSet, 'key' | 'data' | 'interval'>[]);

export const NFT_SETS: Record<string, Record<string, NftSet>> = {
  tscni_portmap: tableSets('tscni_portmap', {
    dnat4, dnat6, hdnat4, hdnat6, masq4, masq6, spare4, spare6, all4, all6,
    lo4: { key: ['ipv4_addr'] }, subs: { key: ['mark'] }, cfg: { key: ['mark'] },
  }),
  tscni_masq: tableSets('tscni_masq', { src4: { key: ['ipv4_addr'], data: 'verdict' }, src6: { key: ['ipv6_addr'], data: 'verdict' } }),
};

const SUB = /^sub([46])_(\d{1,3})$/;

export function nftSetOf(table: string, name: string): NftSet | undefined {
  const known = NFT_SETS[table]?.[name];
  if (known || table !== 'tscni_portmap') return known;
  const m = SUB.exec(name);
  if (!m || Number(m[2]) > (m[1] === '4' ? 32 : 128)) return undefined;
  const a = addr(Number(m[1]) as 4 | 6);
  return set(table, name, { key: [a, a] });
}
