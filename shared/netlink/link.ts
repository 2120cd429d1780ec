// Links: list, look up, create (veth, bridge, vxlan, macvlan), delete and change.
import {
  AF_UNSPEC, ARPHRD_LOOPBACK, IFF_ALLMULTI, IFF_PROMISC, IFF_UP, IF_OPER, MACVLAN_MODE, NLM_F_CREATE, NLM_F_EXCL,
  RTEXT_FILTER_SKIP_STATS, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK,
} from './constants';
import { decodeAttrs, decodeBody, encodeAttrs, encodeStruct, ifinfomsg, type Attrs, type NlMsg, type StructOf } from './codec';
import { NetlinkError } from './error';
import { parseIp } from './ip';
import {
  bridgeAttrs, brportAttrs, linkAttrs, linkInfoAttrs, macvlanAttrs, vethAttrs, vxlanAttrs, type LinkAttrs,
} from './link-attrs';
import type { NetlinkSocket } from './socket';
import type { Link, LinkAddOptions } from './types';

type IfInfo = Partial<StructOf<typeof ifinfomsg>>;

const EINVAL = 22;
const IFNAMSIZ = 16;

const macvlanModeName = (m: number): string =>
  (Object.entries(MACVLAN_MODE).find(([, v]) => v === m)?.[0] as string | undefined) ?? String(m);

/** The public Link from one RTM_NEWLINK message. */
export function decodeLink(m: NlMsg): Link {
  const { hdr, attrs } = decodeBody(ifinfomsg, linkAttrs, m.payload);
  const info = attrs.linkinfo;
  const link: Link = {
    index: hdr.index,
    name: attrs.ifname ?? '',
    flags: hdr.flags,
    up: (hdr.flags & IFF_UP) !== 0,
    operstate: IF_OPER[attrs.operstate ?? 0] ?? String(attrs.operstate),
    mtu: attrs.mtu ?? 0,
    mac: attrs.address ?? '',
    promisc: (hdr.flags & IFF_PROMISC) !== 0,
  };
  const kind = info?.kind ?? (hdr.type === ARPHRD_LOOPBACK ? 'loopback' : undefined);
  if (kind !== undefined) link.kind = kind;
  if (attrs.master !== undefined) link.master = attrs.master;
  // The kernel omits IFLA_LINK when there is no lower device; a veth peer in another netns may
  // well carry the same ifindex as this link, so equality means nothing here.
  if (attrs.link !== undefined) link.link = attrs.link;
  if (attrs.linkNetnsId !== undefined) link.linkNetnsId = attrs.linkNetnsId;
  if (attrs.txqlen !== undefined) link.txqlen = attrs.txqlen;
  if (info?.data) decodeKindData(link, info.data);
  if (info?.slaveKind === 'bridge' && info.slaveData) {
    const p = decodeAttrs(brportAttrs, info.slaveData);
    link.brport = {
      ...(p.mode !== undefined && { hairpin: p.mode !== 0 }),
      ...(p.isolated !== undefined && { isolated: p.isolated !== 0 }),
      ...(p.learning !== undefined && { learning: p.learning !== 0 }),
      ...(p.neighSuppress !== undefined && { neighSuppress: p.neighSuppress !== 0 }),
      ...(p.state !== undefined && { state: p.state }),
    };
  }
  return link;
}

function decodeKindData(link: Link, data: Buffer): void {
  switch (link.kind) {
    case 'bridge': {
      const b = decodeAttrs(bridgeAttrs, data);
      link.bridge = {
        ...(b.vlanFiltering !== undefined && { vlanFiltering: b.vlanFiltering !== 0 }),
        ...(b.stpState !== undefined && { stpState: b.stpState }),
        ...(b.vlanDefaultPvid !== undefined && { vlanDefaultPvid: b.vlanDefaultPvid }),
      };
      break;
    }
    case 'vxlan': {
      const v = decodeAttrs(vxlanAttrs, data);
      const local = v.local ?? v.local6;
      const group = v.group ?? v.group6;
      link.vxlan = {
        id: v.id ?? 0,
        ...(v.port !== undefined && { port: v.port }),
        ...(local !== undefined && { local }),
        ...(group !== undefined && { group }),
        ...(v.link !== undefined && { link: v.link }),
        ...(v.learning !== undefined && { learning: v.learning !== 0 }),
        ...(v.ttl !== undefined && { ttl: v.ttl }),
      };
      break;
    }
    case 'macvlan': {
      const mv = decodeAttrs(macvlanAttrs, data);
      link.macvlan = { mode: macvlanModeName(mv.mode ?? 0) };
      break;
    }
    default:
      break;
  }
}

function checkName(name: string, what: string): void {
  if (!name || Buffer.byteLength(name) >= IFNAMSIZ || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new NetlinkError(EINVAL, `invalid ${what} "${name}"`);
  }
}

const skipStats: LinkAttrs = { extMask: RTEXT_FILTER_SKIP_STATS };

export function linkList(s: NetlinkSocket): Link[] {
  return s
    .dump(RTM_GETLINK, [encodeStruct(ifinfomsg, { family: AF_UNSPEC }), encodeAttrs(linkAttrs, skipStats)], 'link list')
    .filter((m) => m.type === RTM_NEWLINK)
    .map(decodeLink);
}

function linkGet(s: NetlinkSocket, hdr: IfInfo, attrs: LinkAttrs, what: string): Link | undefined {
  try {
    const replies = s.request(RTM_GETLINK, 0, [encodeStruct(ifinfomsg, hdr), encodeAttrs(linkAttrs, attrs)], what);
    const m = replies.find((r) => r.type === RTM_NEWLINK);
    return m ? decodeLink(m) : undefined;
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return undefined;
    throw e;
  }
}

export function linkByName(s: NetlinkSocket, name: string): Link | undefined {
  // A name the kernel could never hold cannot name a link.
  if (!name || Buffer.byteLength(name) >= IFNAMSIZ) return undefined;
  return linkGet(s, {}, { ifname: name, ...skipStats }, `link get "${name}"`);
}

export function linkByIndex(s: NetlinkSocket, index: number): Link | undefined {
  if (!Number.isInteger(index) || index <= 0) return undefined;
  return linkGet(s, { index }, skipStats, `link get index ${index}`);
}

/** IFLA_INFO_DATA for the kind being created. */
function kindData(o: LinkAddOptions): { attrs: LinkAttrs; data?: Buffer } {
  switch (o.kind) {
    case 'veth': {
      if (!o.veth) throw new NetlinkError(EINVAL, `link add "${o.name}": veth needs veth.peerName`);
      const p = o.veth;
      checkName(p.peerName, 'veth peer name');
      const peerMtu = p.peerMtu ?? o.mtu;
      const peer: LinkAttrs = {
        ifname: p.peerName,
        ...(p.peerMac !== undefined && { address: p.peerMac }),
        ...(peerMtu !== undefined && { mtu: peerMtu }),
        ...(p.peerNetnsFd !== undefined && { netnsFd: p.peerNetnsFd }),
      };
      return { attrs: {}, data: encodeAttrs(vethAttrs, { peer: { hdr: { family: AF_UNSPEC }, attrs: peer } }) };
    }
    case 'bridge': {
      const b = o.bridge ?? {};
      return {
        attrs: {},
        data: encodeAttrs(bridgeAttrs, {
          ...(b.vlanFiltering !== undefined && { vlanFiltering: b.vlanFiltering ? 1 : 0 }),
          ...(b.vlanDefaultPvid !== undefined && { vlanDefaultPvid: b.vlanDefaultPvid }),
        }),
      };
    }
    case 'vxlan': {
      const v = o.vxlan;
      if (!v) throw new NetlinkError(EINVAL, `link add "${o.name}": vxlan needs vxlan.id and vxlan.port`);
      const local = v.local !== undefined ? parseIp(v.local, 'vxlan.local') : undefined;
      const group = v.group !== undefined ? parseIp(v.group, 'vxlan.group') : undefined;
      const a: Attrs<typeof vxlanAttrs> = {
        id: v.id,
        port: v.port,
        ...(local && (local.family === 4 ? { local: v.local } : { local6: v.local })),
        ...(group && (group.family === 4 ? { group: v.group } : { group6: v.group })),
        ...(v.link !== undefined && { link: v.link }),
        ...(v.learning !== undefined && { learning: v.learning ? 1 : 0 }),
        ...(v.ttl !== undefined && { ttl: v.ttl }),
        ...(v.udpCsum !== undefined && { udpCsum: v.udpCsum ? 1 : 0 }),
        ...(v.udp6ZeroCsumTx !== undefined && { udp6ZeroCsumTx: v.udp6ZeroCsumTx ? 1 : 0 }),
        ...(v.udp6ZeroCsumRx !== undefined && { udp6ZeroCsumRx: v.udp6ZeroCsumRx ? 1 : 0 }),
      };
      return { attrs: {}, data: encodeAttrs(vxlanAttrs, a) };
    }
    case 'macvlan': {
      const mv = o.macvlan;
      if (!mv) throw new NetlinkError(EINVAL, `link add "${o.name}": macvlan needs macvlan.mode and macvlan.link`);
      const mode = MACVLAN_MODE[mv.mode];
      if (mode === undefined) throw new NetlinkError(EINVAL, `link add "${o.name}": invalid macvlan mode "${mv.mode}"`);
      return { attrs: { link: mv.link }, data: encodeAttrs(macvlanAttrs, { mode }) };
    }
    default:
      throw new NetlinkError(EINVAL, `link add "${o.name}": unsupported kind "${(o as { kind: string }).kind}"`);
  }
}

export function linkAdd(s: NetlinkSocket, o: LinkAddOptions): void {
  checkName(o.name, 'link name');
  const { attrs: extra, data } = kindData(o);
  const attrs: LinkAttrs = {
    ifname: o.name,
    ...(o.mtu !== undefined && { mtu: o.mtu }),
    ...(o.mac !== undefined && { address: o.mac }),
    ...(o.txqlen !== undefined && { txqlen: o.txqlen }),
    ...(o.master !== undefined && { master: o.master }),
    ...(o.netnsFd !== undefined && { netnsFd: o.netnsFd }),
    ...extra,
    linkinfo: { kind: o.kind, ...(data && data.length > 0 && { data }) },
  };
  const hdr: IfInfo = { family: AF_UNSPEC, ...(o.up && { flags: IFF_UP, change: IFF_UP }) };
  s.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, [encodeStruct(ifinfomsg, hdr), encodeAttrs(linkAttrs, attrs)], `link add "${o.name}" (${o.kind})`);
}

export function linkDel(s: NetlinkSocket, index: number): void {
  s.request(RTM_DELLINK, 0, [encodeStruct(ifinfomsg, { family: AF_UNSPEC, index })], `link del index ${index}`);
}

/** RTM_SETLINK on one link: flags (masked by change) and/or plain attributes. */
export function linkSet(s: NetlinkSocket, index: number, what: string, attrs: LinkAttrs, flags = 0, change = 0): void {
  const hdr = encodeStruct(ifinfomsg, { family: AF_UNSPEC, index, flags, change });
  s.request(RTM_SETLINK, 0, [hdr, encodeAttrs(linkAttrs, attrs)], `${what} (index ${index})`);
}

export const linkSetFlag = (s: NetlinkSocket, index: number, flag: number, on: boolean, what: string): void =>
  linkSet(s, index, what, {}, on ? flag : 0, flag);

export const linkSetUp = (s: NetlinkSocket, index: number, up = true): void =>
  linkSetFlag(s, index, IFF_UP, up, up ? 'link set up' : 'link set down');
export const linkSetPromisc = (s: NetlinkSocket, index: number, on: boolean): void =>
  linkSetFlag(s, index, IFF_PROMISC, on, `link set promisc ${on ? 'on' : 'off'}`);
export const linkSetAllmulti = (s: NetlinkSocket, index: number, on: boolean): void =>
  linkSetFlag(s, index, IFF_ALLMULTI, on, `link set allmulticast ${on ? 'on' : 'off'}`);
export const linkSetMtu = (s: NetlinkSocket, index: number, mtu: number): void =>
  linkSet(s, index, `link set mtu ${mtu}`, { mtu });
export const linkSetMac = (s: NetlinkSocket, index: number, mac: string): void =>
  linkSet(s, index, `link set address ${mac}`, { address: mac });
export const linkSetMaster = (s: NetlinkSocket, index: number, master: number): void =>
  linkSet(s, index, master ? `link set master ${master}` : 'link set nomaster', { master });
export const linkSetNetns = (s: NetlinkSocket, index: number, netnsFd: number): void =>
  linkSet(s, index, 'link set netns', { netnsFd });
export const linkSetTxqlen = (s: NetlinkSocket, index: number, txqlen: number): void =>
  linkSet(s, index, `link set txqueuelen ${txqlen}`, { txqlen });

export function linkRename(s: NetlinkSocket, index: number, name: string): void {
  checkName(name, 'link name');
  linkSet(s, index, `link rename to "${name}"`, { ifname: name });
}

/** Changes kind-specific settings of an existing link (RTM_NEWLINK without NLM_F_CREATE). */
export function linkChangeInfo(s: NetlinkSocket, index: number, kind: string, data: Buffer, what: string): void {
  const attrs: LinkAttrs = { linkinfo: { kind, data } };
  s.request(RTM_NEWLINK, 0, [encodeStruct(ifinfomsg, { family: AF_UNSPEC, index }), encodeAttrs(linkAttrs, attrs)], `${what} (index ${index})`);
}

/** Flips learning on a live vxlan device: the kernel allows it without recreating the device. */
export function vxlanSetLearning(s: NetlinkSocket, index: number, on: boolean): void {
  linkChangeInfo(s, index, 'vxlan', encodeAttrs(vxlanAttrs, { learning: on ? 1 : 0 }), `vxlan set learning ${on ? 'on' : 'off'}`);
}

export { linkInfoAttrs };
