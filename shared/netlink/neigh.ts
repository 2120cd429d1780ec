// Neighbours (ARP/NDP entries) and the bridge/vxlan forwarding database (AF_BRIDGE neighbours).
import {
  AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC, NDA, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REPLACE, NTF_MASTER, NTF_SELF,
  NUD_NOARP, NUD_PERMANENT, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH,
} from './constants';
import { decodeBody, encodeAttrs, encodeStruct, ndmsg, type Attrs, type NlMsg, type Schema } from './codec';
import { afOf, ipAttr, macAttr, parseIp, parseMac } from './ip';
import type { NetlinkSocket } from './socket';
import type { FdbEntry, Neigh } from './types';

export const neighAttrs = {
  dst: { id: NDA.DST, type: ipAttr },
  lladdr: { id: NDA.LLADDR, type: macAttr },
  vlan: { id: NDA.VLAN, type: 'u16' },
  port: { id: NDA.PORT, type: 'u16be' },
  vni: { id: NDA.VNI, type: 'u32' },
  ifindex: { id: NDA.IFINDEX, type: 'u32' },
  master: { id: NDA.MASTER, type: 'u32' },
  linkNetnsId: { id: NDA.LINK_NETNSID, type: 's32' },
  srcVni: { id: NDA.SRC_VNI, type: 'u32' },
} as const satisfies Schema;

export function decodeNeigh(m: NlMsg): Neigh | undefined {
  const { hdr, attrs } = decodeBody(ndmsg, neighAttrs, m.payload);
  const family = hdr.family === AF_INET ? 4 : hdr.family === AF_INET6 ? 6 : hdr.family === AF_BRIDGE ? 7 : undefined;
  if (family === undefined) return undefined;
  const n: Neigh = { index: hdr.index, family, state: hdr.state, flags: hdr.flags };
  if (attrs.dst !== undefined) {
    if (family === 7) n.dst = attrs.dst;
    else n.ip = attrs.dst;
  }
  if (attrs.lladdr !== undefined) n.mac = attrs.lladdr;
  if (attrs.master !== undefined) n.master = attrs.master;
  if (attrs.vni !== undefined) n.vni = attrs.vni;
  return n;
}

export function neighList(s: NetlinkSocket, o: { family?: 4 | 6 | 7; index?: number } = {}): Neigh[] {
  const fdb = o.family === 7;
  const family = o.family === 7 ? AF_BRIDGE : o.family ? afOf(o.family) : AF_UNSPEC;
  // Strict dumps take the device filter in the header for the FDB, as NDA_IFINDEX otherwise.
  const hdr = encodeStruct(ndmsg, { family, index: fdb ? (o.index ?? 0) : 0 });
  const attrs = encodeAttrs(neighAttrs, !fdb && o.index ? { ifindex: o.index } : {});
  const out: Neigh[] = [];
  for (const m of s.dump(RTM_GETNEIGH, [hdr, attrs], fdb ? 'fdb list' : 'neighbour list')) {
    if (m.type !== RTM_NEWNEIGH) continue;
    const n = decodeNeigh(m);
    if (!n || (o.index && n.index !== o.index)) continue;
    if (o.family ? n.family !== o.family : n.family === 7) continue;
    out.push(n);
  }
  return out;
}

export function neighSet(s: NetlinkSocket, n: { index: number; ip: string; mac: string; state?: number }): void {
  const ip = parseIp(n.ip, 'neighbour address');
  parseMac(n.mac, 'neighbour MAC');
  const hdr = encodeStruct(ndmsg, { family: afOf(ip.family), index: n.index, state: n.state ?? NUD_PERMANENT });
  s.request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, [hdr, encodeAttrs(neighAttrs, { dst: n.ip, lladdr: n.mac })], `neighbour replace ${n.ip} lladdr ${n.mac} (index ${n.index})`);
}

export function neighDel(s: NetlinkSocket, n: { index: number; ip: string }): void {
  const ip = parseIp(n.ip, 'neighbour address');
  const hdr = encodeStruct(ndmsg, { family: afOf(ip.family), index: n.index });
  s.request(RTM_DELNEIGH, 0, [hdr, encodeAttrs(neighAttrs, { dst: n.ip })], `neighbour del ${n.ip} (index ${n.index})`);
}

function fdbMessage(n: FdbEntry & { state?: number }, withState: boolean): Buffer[] {
  parseMac(n.mac, 'fdb MAC');
  // Like bridge(8): the device's own table unless the bridge (master) is asked for.
  let flags = (n.self ? NTF_SELF : 0) | (n.master ? NTF_MASTER : 0);
  if (!flags) flags = NTF_SELF;
  const hdr = encodeStruct(ndmsg, {
    family: AF_BRIDGE,
    index: n.index,
    flags,
    ...(withState && { state: n.state ?? NUD_PERMANENT | NUD_NOARP }),
  });
  const attrs: Attrs<typeof neighAttrs> = {
    lladdr: n.mac,
    ...(n.dst !== undefined && { dst: n.dst }),
    ...(n.vni !== undefined && { vni: n.vni }),
  };
  if (n.dst !== undefined) parseIp(n.dst, 'fdb dst');
  return [hdr, encodeAttrs(neighAttrs, attrs)];
}

const fdbWhat = (verb: string, n: FdbEntry): string =>
  `fdb ${verb} ${n.mac}${n.dst ? ` dst ${n.dst}` : ''} (index ${n.index})`;

/** Adds one more destination: 00:00:00:00:00:00 entries on a vxlan become a flood list. */
export function fdbAppend(s: NetlinkSocket, n: FdbEntry): void {
  s.request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, fdbMessage(n, true), fdbWhat('append', n));
}

export function fdbReplace(s: NetlinkSocket, n: FdbEntry): void {
  s.request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, fdbMessage(n, true), fdbWhat('replace', n));
}

export function fdbDel(s: NetlinkSocket, n: FdbEntry): void {
  s.request(RTM_DELNEIGH, 0, fdbMessage(n, false), fdbWhat('del', n));
}

export const fdbList = (s: NetlinkSocket, index?: number): Neigh[] => neighList(s, { family: 7, ...(index !== undefined && { index }) });
