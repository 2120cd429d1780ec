// Attribute tables of RTM_*LINK messages (linux/if_link.h, if_bridge.h, veth.h).
import {
  BRIDGE_FLAGS_MASTER, IFLA, IFLA_BR, IFLA_BRIDGE, IFLA_BRPORT, IFLA_INFO, IFLA_MACVLAN, IFLA_VXLAN, VETH_INFO_PEER,
} from './constants';
import {
  bridgeVlanInfo, decodeBody, encodeAttrs, encodeStruct, ifinfomsg,
  type Attrs, type Codec, type Schema, type StructOf,
} from './codec';
import { ipAttr, macAttr } from './ip';

export const linkInfoAttrs = {
  kind: { id: IFLA_INFO.KIND, type: 'string' },
  // Kind-specific: decoded with the table for that kind (see dataAttrsFor).
  data: { id: IFLA_INFO.DATA, type: 'bytes', nested: true },
  slaveKind: { id: IFLA_INFO.SLAVE_KIND, type: 'string' },
  slaveData: { id: IFLA_INFO.SLAVE_DATA, type: 'bytes', nested: true },
} as const satisfies Schema;

export const linkAttrs = {
  address: { id: IFLA.ADDRESS, type: macAttr },
  broadcast: { id: IFLA.BROADCAST, type: macAttr },
  ifname: { id: IFLA.IFNAME, type: 'string' },
  mtu: { id: IFLA.MTU, type: 'u32' },
  link: { id: IFLA.LINK, type: 'u32' },
  master: { id: IFLA.MASTER, type: 'u32' },
  txqlen: { id: IFLA.TXQLEN, type: 'u32' },
  operstate: { id: IFLA.OPERSTATE, type: 'u8' },
  linkinfo: { id: IFLA.LINKINFO, type: { nested: linkInfoAttrs } },
  netnsFd: { id: IFLA.NET_NS_FD, type: 'u32' },
  extMask: { id: IFLA.EXT_MASK, type: 'u32' },
  promiscuity: { id: IFLA.PROMISCUITY, type: 'u32' },
  linkNetnsId: { id: IFLA.LINK_NETNSID, type: 's32' },
  minMtu: { id: IFLA.MIN_MTU, type: 'u32' },
  maxMtu: { id: IFLA.MAX_MTU, type: 'u32' },
  protinfo: { id: IFLA.PROTINFO, type: 'bytes', nested: true },
  afSpec: { id: IFLA.AF_SPEC, type: 'bytes', nested: true },
} as const satisfies Schema;

export type LinkAttrs = Attrs<typeof linkAttrs>;

export const bridgeAttrs = {
  stpState: { id: IFLA_BR.STP_STATE, type: 'u32' },
  vlanFiltering: { id: IFLA_BR.VLAN_FILTERING, type: 'u8' },
  vlanDefaultPvid: { id: IFLA_BR.VLAN_DEFAULT_PVID, type: 'u16' },
} as const satisfies Schema;

export const brportAttrs = {
  state: { id: IFLA_BRPORT.STATE, type: 'u8' },
  /** Hairpin mode. */
  mode: { id: IFLA_BRPORT.MODE, type: 'u8' },
  learning: { id: IFLA_BRPORT.LEARNING, type: 'u8' },
  unicastFlood: { id: IFLA_BRPORT.UNICAST_FLOOD, type: 'u8' },
  neighSuppress: { id: IFLA_BRPORT.NEIGH_SUPPRESS, type: 'u8' },
  isolated: { id: IFLA_BRPORT.ISOLATED, type: 'u8' },
} as const satisfies Schema;

export const vxlanAttrs = {
  id: { id: IFLA_VXLAN.ID, type: 'u32' },
  group: { id: IFLA_VXLAN.GROUP, type: ipAttr },
  link: { id: IFLA_VXLAN.LINK, type: 'u32' },
  local: { id: IFLA_VXLAN.LOCAL, type: ipAttr },
  ttl: { id: IFLA_VXLAN.TTL, type: 'u8' },
  learning: { id: IFLA_VXLAN.LEARNING, type: 'u8' },
  port: { id: IFLA_VXLAN.PORT, type: 'u16be' },
  group6: { id: IFLA_VXLAN.GROUP6, type: ipAttr },
  local6: { id: IFLA_VXLAN.LOCAL6, type: ipAttr },
  udpCsum: { id: IFLA_VXLAN.UDP_CSUM, type: 'u8' },
  udp6ZeroCsumTx: { id: IFLA_VXLAN.UDP_ZERO_CSUM6_TX, type: 'u8' },
  udp6ZeroCsumRx: { id: IFLA_VXLAN.UDP_ZERO_CSUM6_RX, type: 'u8' },
} as const satisfies Schema;

export const macvlanAttrs = {
  mode: { id: IFLA_MACVLAN.MODE, type: 'u32' },
  flags: { id: IFLA_MACVLAN.FLAGS, type: 'u16' },
} as const satisfies Schema;

/** VETH_INFO_PEER carries a whole link description: an ifinfomsg followed by link attributes. */
export interface VethPeer {
  hdr: Partial<StructOf<typeof ifinfomsg>>;
  attrs: LinkAttrs;
}
export const vethPeerCodec: Codec<VethPeer> = {
  encode: (p) => Buffer.concat([encodeStruct(ifinfomsg, p.hdr), encodeAttrs(linkAttrs, p.attrs)]),
  decode: (b) => decodeBody(ifinfomsg, linkAttrs, b),
};

export const vethAttrs = {
  peer: { id: VETH_INFO_PEER, type: vethPeerCodec },
} as const satisfies Schema;

// IFLA_AF_SPEC of AF_BRIDGE messages: bridge flags and vlan entries.
export const bridgeAfSpecAttrs = {
  flags: { id: IFLA_BRIDGE.FLAGS, type: 'u16' },
  mode: { id: IFLA_BRIDGE.MODE, type: 'u16' },
  vlanInfo: { id: IFLA_BRIDGE.VLAN_INFO, type: { struct: bridgeVlanInfo }, multi: true },
} as const satisfies Schema;

export { BRIDGE_FLAGS_MASTER };
