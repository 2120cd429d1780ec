// Interface addresses (RTM_*ADDR), IPv4 and IPv6.
import {
  AF_INET, AF_INET6, AF_UNSPEC, IFA, IFA_F_NODAD, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELADDR,
  RTM_GETADDR, RTM_NEWADDR, RT_SCOPE_HOST, RT_SCOPE_UNIVERSE,
} from './constants';
import { decodeBody, encodeAttrs, encodeStruct, ifaddrmsg, type Attrs, type NlMsg, type Schema } from './codec';
import { afOf, broadcastOf, familyOfAf, formatIp, ipAttr, parseCidr } from './ip';
import type { NetlinkSocket } from './socket';
import type { Addr, AddrAddOptions } from './types';

export const addrAttrs = {
  address: { id: IFA.ADDRESS, type: ipAttr },
  local: { id: IFA.LOCAL, type: ipAttr },
  label: { id: IFA.LABEL, type: 'string' },
  broadcast: { id: IFA.BROADCAST, type: ipAttr },
  flags: { id: IFA.FLAGS, type: 'u32' },
} as const satisfies Schema;

export function decodeAddr(m: NlMsg): Addr | undefined {
  const { hdr, attrs } = decodeBody(ifaddrmsg, addrAttrs, m.payload);
  if (hdr.family !== AF_INET && hdr.family !== AF_INET6) return undefined;
  // IFA_LOCAL is the own address; IFA_ADDRESS is the peer on point-to-point links.
  const address = attrs.local ?? attrs.address;
  if (address === undefined) return undefined;
  const a: Addr = {
    index: hdr.index,
    family: familyOfAf(hdr.family),
    address,
    prefixLen: hdr.prefixLen,
    cidr: `${address}/${hdr.prefixLen}`,
    scope: hdr.scope,
    flags: attrs.flags ?? hdr.flags,
  };
  if (attrs.label !== undefined) a.label = attrs.label;
  return a;
}

export function addrList(s: NetlinkSocket, o: { family?: 4 | 6; index?: number } = {}): Addr[] {
  const family = o.family ? afOf(o.family) : AF_UNSPEC;
  const hdr = encodeStruct(ifaddrmsg, { family, index: o.index ?? 0 });
  const out: Addr[] = [];
  for (const m of s.dump(RTM_GETADDR, [hdr], 'address list')) {
    if (m.type !== RTM_NEWADDR) continue;
    const a = decodeAddr(m);
    // The kernel filters already (strict dump); this guards older kernels that ignore the filter.
    if (a && (!o.index || a.index === o.index) && (!o.family || a.family === o.family)) out.push(a);
  }
  return out;
}

export function addrAdd(s: NetlinkSocket, index: number, cidr: string, o: AddrAddOptions = {}): void {
  const c = parseCidr(cidr, 'address');
  const ip = formatIp(c.bytes);
  const flags = o.noDad ? IFA_F_NODAD : 0;
  const scope = o.scope ?? (c.family === 4 && c.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE);
  const hdr = encodeStruct(ifaddrmsg, { family: afOf(c.family), prefixLen: c.prefixLen, flags, scope, index });
  const attrs: Attrs<typeof addrAttrs> = { local: ip, address: ip };
  if (o.broadcast && c.family === 4 && c.prefixLen < 31) attrs.broadcast = formatIp(broadcastOf(c));
  if (flags) attrs.flags = flags;
  const nlf = o.replace ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
  s.request(RTM_NEWADDR, nlf, [hdr, encodeAttrs(addrAttrs, attrs)], `address add ${cidr} (index ${index})`);
}

export function addrDel(s: NetlinkSocket, index: number, cidr: string): void {
  const c = parseCidr(cidr, 'address');
  const ip = formatIp(c.bytes);
  const hdr = encodeStruct(ifaddrmsg, { family: afOf(c.family), prefixLen: c.prefixLen, index });
  s.request(RTM_DELADDR, 0, [hdr, encodeAttrs(addrAttrs, { local: ip, address: ip })], `address del ${cidr} (index ${index})`);
}
