// The element changes whose bytes are compared with nft(8)'s: each case is the nft command and
// the same change through our codec. capture.ts runs the commands under strace in a throwaway
// netns (after SETUP) and stores what nft sent in fixtures.json.
import { addElements, delChain, delElements, type NftOp, type NftSet } from '../../../../shared/netlink/nftables';

export const SETUP = `
add table inet tscni_portmap
add map inet tscni_portmap dnat4 { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map inet tscni_portmap dnat6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
add map inet tscni_portmap hdnat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
add set inet tscni_portmap masq4 { type ipv4_addr . ipv4_addr; flags interval; }
add set inet tscni_portmap masq6 { type ipv6_addr . ipv6_addr; flags interval; }
add set inet tscni_portmap cfg { type mark; }
add table inet tscni_masq
add map inet tscni_masq src4 { type ipv4_addr : verdict; }
add map inet tscni_masq src6 { type ipv6_addr : verdict; }
add chain inet tscni_masq n_0123456789ab_01234567
add table inet tscni_firewall
add set inet tscni_firewall iso_br { type ifname; }
add set inet tscni_firewall icc_br { type ifname . ifname; }
`;

const pm = (name: string) => ({ family: 'inet', table: 'tscni_portmap', name }) as const;
export const dnat4 = { ...pm('dnat4'), key: ['inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] } as const satisfies NftSet;
export const dnat6 = { ...pm('dnat6'), key: ['inet_proto', 'inet_service'], data: ['ipv6_addr', 'inet_service'] } as const satisfies NftSet;
export const hdnat4 = { ...pm('hdnat4'), key: ['ipv4_addr', 'inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] } as const satisfies NftSet;
export const masq4 = { ...pm('masq4'), key: ['ipv4_addr', 'ipv4_addr'], interval: true } as const satisfies NftSet;
export const masq6 = { ...pm('masq6'), key: ['ipv6_addr', 'ipv6_addr'], interval: true } as const satisfies NftSet;
export const cfg = { ...pm('cfg'), key: ['mark'] } as const satisfies NftSet;
export const src4 = { family: 'inet', table: 'tscni_masq', name: 'src4', key: ['ipv4_addr'], data: 'verdict' } as const satisfies NftSet;
export const src6 = { family: 'inet', table: 'tscni_masq', name: 'src6', key: ['ipv6_addr'], data: 'verdict' } as const satisfies NftSet;
export const isoBr = { family: 'inet', table: 'tscni_firewall', name: 'iso_br', key: ['ifname'] } as const satisfies NftSet;
export const iccBr = { family: 'inet', table: 'tscni_firewall', name: 'icc_br', key: ['ifname', 'ifname'] } as const satisfies NftSet;

const CHAIN = 'n_0123456789ab_01234567';

export interface Case {
  name: string;
  /** The nft script (one transaction). */
  nft: string;
  /** The same change through our codec (a batch), or a single-element lookup. */
  ours: NftOp[] | { get: NftSet; key: (string | number)[] };
}

// In order: deletes find what the adds before them made.
export const CASES: Case[] = [
  {
    name: 'portmap dnat4 add with comment',
    nft: 'add element inet tscni_portmap dnat4 { tcp . 8080 comment "net1/abc/eth0" : 10.1.0.5 . 80 }',
    ours: [addElements(dnat4, [{ key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'net1/abc/eth0' }])],
  },
  {
    name: 'portmap dnat4 get',
    nft: 'get element inet tscni_portmap dnat4 { tcp . 8080 }',
    ours: { get: dnat4, key: ['tcp', 8080] },
  },
  {
    name: 'portmap hdnat4 create (NLM_F_EXCL)',
    nft: 'create element inet tscni_portmap hdnat4 { 127.0.0.1 . tcp . 80 comment "n/c/eth0" : 10.1.0.5 . 8080 }',
    ours: [addElements(hdnat4, [{ key: ['127.0.0.1', 'tcp', 80], value: ['10.1.0.5', 8080], comment: 'n/c/eth0' }], { excl: true })],
  },
  {
    name: 'portmap dnat6 two elements in one message',
    nft: 'add element inet tscni_portmap dnat6 { udp . 53 comment "x" : fd00::5 . 5353, sctp . 9 : fd00:0:0:1::6 . 1 }',
    ours: [addElements(dnat6, [{ key: ['udp', 53], value: ['fd00::5', 5353], comment: 'x' }, { key: ['sctp', 9], value: ['fd00:0:0:1::6', 1] }])],
  },
  {
    name: 'portmap masq4 interval concat add',
    nft: 'add element inet tscni_portmap masq4 { 10.1.0.0/24 . 10.1.0.5 comment "net1/abc/eth0" }',
    ours: [addElements(masq4, [{ key: ['10.1.0.0/24', '10.1.0.5'], comment: 'net1/abc/eth0' }])],
  },
  {
    name: 'portmap masq6 interval concat add',
    nft: 'add element inet tscni_portmap masq6 { fd00:1::/64 . fd00:1::5 comment "net1/abc/eth0" }',
    ours: [addElements(masq6, [{ key: ['fd00:1::/64', 'fd00:1::5'], comment: 'net1/abc/eth0' }])],
  },
  {
    name: 'portmap masq4 localhost point . address add',
    nft: 'add element inet tscni_portmap masq4 { 127.0.0.1 . 10.1.0.5 comment "net1/abc/eth0" }',
    ours: [addElements(masq4, [{ key: ['127.0.0.1', '10.1.0.5'], comment: 'net1/abc/eth0' }])],
  },
  {
    name: 'portmap masq4 interval concat delete',
    nft: 'delete element inet tscni_portmap masq4 { 10.1.0.0/24 . 10.1.0.5 }',
    ours: [delElements(masq4, [{ key: ['10.1.0.0/24', '10.1.0.5'] }])],
  },
  {
    name: 'portmap cfg mark create (host byte order)',
    nft: 'create element inet tscni_portmap cfg { 0x12345678 }',
    ours: [addElements(cfg, [{ key: [0x12345678] }], { excl: true })],
  },
  {
    name: 'portmap add, delete, re-add in one transaction',
    nft: [
      'add element inet tscni_portmap dnat4 { udp . 5353 : 10.1.0.7 . 53 }',
      'delete element inet tscni_portmap dnat4 { udp . 5353 }',
      'add element inet tscni_portmap dnat4 { udp . 5353 comment "net1/def/eth1" : 10.1.0.7 . 53 }',
    ].join('\n'),
    ours: [
      addElements(dnat4, [{ key: ['udp', 5353], value: ['10.1.0.7', 53] }]),
      delElements(dnat4, [{ key: ['udp', 5353] }]),
      addElements(dnat4, [{ key: ['udp', 5353], value: ['10.1.0.7', 53], comment: 'net1/def/eth1' }]),
    ],
  },
  {
    name: 'portmap dnat4 delete',
    nft: 'delete element inet tscni_portmap dnat4 { tcp . 8080 }',
    ours: [delElements(dnat4, [{ key: ['tcp', 8080] }])],
  },
  {
    name: 'masquerade src4 verdict goto with comment',
    nft: `add element inet tscni_masq src4 { 10.1.0.5 comment "n/c/eth0" : goto ${CHAIN} }`,
    ours: [addElements(src4, [{ key: ['10.1.0.5'], value: { goto: CHAIN }, comment: 'n/c/eth0' }])],
  },
  {
    name: 'masquerade src6 verdict goto',
    nft: `add element inet tscni_masq src6 { fd00:1::5 comment "a-network/0123456789abcdef/eth0" : goto ${CHAIN} }`,
    ours: [addElements(src6, [{ key: ['fd00:1::5'], value: { goto: CHAIN }, comment: 'a-network/0123456789abcdef/eth0' }])],
  },
  {
    name: 'masquerade src4 delete',
    nft: 'delete element inet tscni_masq src4 { 10.1.0.5 }',
    ours: [delElements(src4, [{ key: ['10.1.0.5'] }])],
  },
  {
    name: 'firewall ifname and ifname . ifname',
    nft: ['add element inet tscni_firewall iso_br { "cni0" }', 'add element inet tscni_firewall icc_br { "cni0" . "cni0" }'].join('\n'),
    ours: [addElements(isoBr, [{ key: ['cni0'] }]), addElements(iccBr, [{ key: ['cni0', 'cni0'] }])],
  },
  {
    name: 'masquerade last element of a subnet and its chain',
    nft: [`delete element inet tscni_masq src6 { fd00:1::5 }`, `delete chain inet tscni_masq ${CHAIN}`].join('\n'),
    ours: [delElements(src6, [{ key: ['fd00:1::5'] }]), delChain('inet', 'tscni_masq', CHAIN)],
  },
];
