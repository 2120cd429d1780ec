// The public shapes of the netlink layer: what a link, an address, a route and a neighbour look
// like to callers (strings for addresses, plain numbers for indexes and flags).

export interface Link {
  index: number;
  name: string;
  /** From IFLA_INFO_KIND ('veth', 'bridge', 'vxlan', 'macvlan'…); 'loopback' for lo. */
  kind?: string;
  flags: number;
  up: boolean;
  /** 'up', 'down', 'unknown', 'lowerlayerdown'… (IFLA_OPERSTATE). */
  operstate: string;
  mtu: number;
  /** Lowercase aa:bb:cc:dd:ee:ff. */
  mac: string;
  master?: number;
  /** IFLA_LINK: the lower device, or a veth's peer ifindex (possibly in another netns). */
  link?: number;
  linkNetnsId?: number;
  promisc: boolean;
  txqlen?: number;
  bridge?: { vlanFiltering?: boolean; stpState?: number; vlanDefaultPvid?: number };
  vxlan?: { id: number; port?: number; local?: string; group?: string; link?: number; learning?: boolean; ttl?: number };
  macvlan?: { mode: string };
  brport?: { hairpin?: boolean; isolated?: boolean; learning?: boolean; state?: number; neighSuppress?: boolean };
}

export interface LinkAddOptions {
  name: string;
  kind: 'veth' | 'bridge' | 'vxlan' | 'macvlan';
  mtu?: number;
  mac?: string;
  txqlen?: number;
  master?: number;
  up?: boolean;
  /** Create the link directly in that netns (IFLA_NET_NS_FD). */
  netnsFd?: number;
  veth?: { peerName: string; peerNetnsFd?: number; peerMac?: string; peerMtu?: number };
  bridge?: { vlanFiltering?: boolean; vlanDefaultPvid?: number };
  vxlan?: {
    id: number;
    port: number;
    local?: string;
    group?: string;
    link?: number;
    learning?: boolean;
    ttl?: number;
    udpCsum?: boolean;
    udp6ZeroCsumTx?: boolean;
    udp6ZeroCsumRx?: boolean;
  };
  macvlan?: { mode: 'private' | 'vepa' | 'bridge' | 'passthru'; link: number };
}

export interface Addr {
  index: number;
  family: 4 | 6;
  address: string;
  prefixLen: number;
  /** 'address/prefixLen' */
  cidr: string;
  scope: number;
  flags: number;
  label?: string;
}

export interface AddrAddOptions {
  /** IPv6: skip duplicate address detection (IFA_F_NODAD) so the address is usable at once. */
  noDad?: boolean;
  /** IPv4: set the broadcast address computed from the prefix. */
  broadcast?: boolean;
  /** Replace an existing address instead of failing with EEXIST. */
  replace?: boolean;
  scope?: number;
}

export interface RouteSpec {
  /** CIDR; '0.0.0.0/0' or '::/0' for a default route. */
  dst: string;
  gw?: string;
  dev?: number;
  /** Preferred source address (RTA_PREFSRC). */
  src?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
  protocol?: number;
  type?: number;
  onlink?: boolean;
  multipath?: { gw: string; dev: number }[];
}

export interface Route extends RouteSpec {
  family: 4 | 6;
}

export interface Neigh {
  index: number;
  /** 7 = AF_BRIDGE: a forwarding database entry. */
  family: 4 | 6 | 7;
  ip?: string;
  mac?: string;
  state: number;
  flags: number;
  master?: number;
  vni?: number;
  /** FDB: the remote VTEP address. */
  dst?: string;
}

export interface FdbEntry {
  index: number;
  mac: string;
  /** Remote VTEP address (vxlan). */
  dst?: string;
  vni?: number;
  /** NTF_SELF: the device's own table (default when neither self nor master is given). */
  self?: boolean;
  /** NTF_MASTER: the bridge the device is a port of. */
  master?: boolean;
  /** Default NUD_PERMANENT|NUD_NOARP, like bridge(8). */
  state?: number;
}
