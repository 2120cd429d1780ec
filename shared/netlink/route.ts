// Routes (RTM_*ROUTE): add/replace/delete, dump per table, and kernel route lookups.
import {
  AF_INET, AF_INET6, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTA, RTAX, RTM_DELROUTE, RTM_GETROUTE,
  RTM_NEWROUTE, RTNH_F_ONLINK, RTN_LOCAL, RTN_UNICAST, RTN_UNSPEC, RTPROT_BOOT, RTPROT_UNSPEC, RT_SCOPE_HOST,
  RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_UNSPEC,
} from './constants';
import {
  decodeAttrs, decodeBody, decodeStruct, encodeAttrs, encodeStruct, rtmsg, rtnexthop, structSize,
  type Attrs, type Codec, type NlMsg, type Schema, type StructOf,
} from './codec';
import { NetlinkError } from './error';
import { afOf, familyOfAf, formatIp, ipAttr, parseCidr, parseIp } from './ip';
import type { NetlinkSocket } from './socket';
import type { Route, RouteSpec } from './types';

export interface Nexthop {
  gw?: string;
  dev: number;
  flags?: number;
}

const nexthopAttrs = {
  gateway: { id: RTA.GATEWAY, type: ipAttr },
} as const satisfies Schema;

const NH_LEN = structSize(rtnexthop);

/** RTA_MULTIPATH: a packed list of rtnexthop structs, each followed by its own attributes. */
export const multipathCodec: Codec<Nexthop[]> = {
  encode: (hops) =>
    Buffer.concat(
      hops.map((h) => {
        const attrs = encodeAttrs(nexthopAttrs, { gateway: h.gw });
        const head = encodeStruct(rtnexthop, { len: NH_LEN + attrs.length, flags: h.flags ?? 0, index: h.dev });
        return Buffer.concat([head, attrs]);
      }),
    ),
  decode: (b) => {
    const out: Nexthop[] = [];
    let off = 0;
    while (off + NH_LEN <= b.length) {
      const nh = decodeStruct(rtnexthop, b, off);
      if (nh.len < NH_LEN || off + nh.len > b.length) break;
      const a = decodeAttrs(nexthopAttrs, b, off + NH_LEN, off + nh.len);
      out.push({ dev: nh.index, ...(a.gateway !== undefined && { gw: a.gateway }), ...(nh.flags && { flags: nh.flags }) });
      off += (nh.len + 3) & ~3;
    }
    return out;
  },
};

const metricsAttrs = {
  mtu: { id: RTAX.MTU, type: 'u32' },
  advmss: { id: RTAX.ADVMSS, type: 'u32' },
} as const satisfies Schema;

export const routeAttrs = {
  dst: { id: RTA.DST, type: ipAttr },
  src: { id: RTA.SRC, type: ipAttr },
  iif: { id: RTA.IIF, type: 'u32' },
  oif: { id: RTA.OIF, type: 'u32' },
  gateway: { id: RTA.GATEWAY, type: ipAttr },
  priority: { id: RTA.PRIORITY, type: 'u32' },
  prefsrc: { id: RTA.PREFSRC, type: ipAttr },
  metrics: { id: RTA.METRICS, type: { nested: metricsAttrs } },
  multipath: { id: RTA.MULTIPATH, type: multipathCodec },
  table: { id: RTA.TABLE, type: 'u32' },
  pref: { id: RTA.PREF, type: 'u8' },
} as const satisfies Schema;

type RtHdr = Partial<StructOf<typeof rtmsg>>;

export function decodeRoute(m: NlMsg): Route | undefined {
  const { hdr, attrs } = decodeBody(rtmsg, routeAttrs, m.payload);
  if (hdr.family !== AF_INET && hdr.family !== AF_INET6) return undefined;
  const family = familyOfAf(hdr.family);
  const dst = attrs.dst ?? (family === 4 ? '0.0.0.0' : '::');
  const r: Route = {
    family,
    dst: `${dst}/${hdr.dstLen}`,
    table: attrs.table ?? hdr.table,
    scope: hdr.scope,
    protocol: hdr.protocol,
    type: hdr.type,
  };
  if (attrs.gateway !== undefined) r.gw = attrs.gateway;
  if (attrs.oif !== undefined) r.dev = attrs.oif;
  if (attrs.prefsrc !== undefined) r.src = attrs.prefsrc;
  if (attrs.priority !== undefined) r.priority = attrs.priority;
  if (attrs.metrics?.mtu !== undefined) r.mtu = attrs.metrics.mtu;
  if (attrs.metrics?.advmss !== undefined) r.advmss = attrs.metrics.advmss;
  if (hdr.flags & RTNH_F_ONLINK) r.onlink = true;
  if (attrs.multipath) r.multipath = attrs.multipath.map((h) => ({ gw: h.gw ?? '', dev: h.dev }));
  return r;
}

/** The rtmsg + attributes for a route change; deletes leave unset fields as wildcards. */
function encodeRouteSpec(r: RouteSpec, del: boolean): { hdr: Buffer; attrs: Buffer; family: 4 | 6 } {
  const d = parseCidr(r.dst, 'route dst');
  const what = `route ${r.dst}`;
  const checkFamily = (ip: string, field: string): void => {
    if (parseIp(ip, `${field} of ${what}`).family !== d.family) {
      throw new NetlinkError(22, `${what}: ${field} ${ip} is not of the same family as dst`);
    }
  };
  if (r.gw !== undefined) checkFamily(r.gw, 'gw');
  if (r.src !== undefined) checkFamily(r.src, 'src');
  for (const h of r.multipath ?? []) checkFamily(h.gw, 'multipath gw');
  const table = r.table ?? RT_TABLE_MAIN;
  const hasGw = r.gw !== undefined || (r.multipath?.length ?? 0) > 0;
  const type = r.type ?? (del ? RTN_UNSPEC : RTN_UNICAST);
  // Like ip(8): an IPv4 route without a gateway reaches only the link; local routes the host.
  const defaultScope = type === RTN_LOCAL ? RT_SCOPE_HOST : d.family === 4 && !hasGw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  const hdr: RtHdr = {
    family: afOf(d.family),
    dstLen: d.prefixLen,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol: r.protocol ?? (del ? RTPROT_UNSPEC : RTPROT_BOOT),
    scope: r.scope ?? (del ? RT_SCOPE_NOWHERE : defaultScope),
    type,
    flags: r.onlink ? RTNH_F_ONLINK : 0,
  };
  const metrics = r.mtu !== undefined || r.advmss !== undefined ? { mtu: r.mtu, advmss: r.advmss } : undefined;
  const attrs: Attrs<typeof routeAttrs> = {
    ...(d.prefixLen > 0 && { dst: formatIp(d.bytes) }),
    table,
    ...(r.gw !== undefined && { gateway: r.gw }),
    ...(r.dev !== undefined && { oif: r.dev }),
    ...(r.src !== undefined && { prefsrc: r.src }),
    ...(r.priority !== undefined && { priority: r.priority }),
    ...(metrics && { metrics }),
    ...(r.multipath && r.multipath.length > 0 && {
      multipath: r.multipath.map((h) => ({ gw: h.gw, dev: h.dev, flags: r.onlink ? RTNH_F_ONLINK : 0 })),
    }),
  };
  return { hdr: encodeStruct(rtmsg, hdr), attrs: encodeAttrs(routeAttrs, attrs), family: d.family };
}

function describe(verb: string, r: RouteSpec): string {
  return `route ${verb} ${r.dst}${r.gw ? ` via ${r.gw}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`;
}

export function routeAdd(s: NetlinkSocket, r: RouteSpec): void {
  const { hdr, attrs } = encodeRouteSpec(r, false);
  s.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, [hdr, attrs], describe('add', r));
}

export function routeReplace(s: NetlinkSocket, r: RouteSpec): void {
  const { hdr, attrs } = encodeRouteSpec(r, false);
  s.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, [hdr, attrs], describe('replace', r));
}

export function routeDel(s: NetlinkSocket, r: RouteSpec): void {
  const { hdr, attrs } = encodeRouteSpec(r, true);
  s.request(RTM_DELROUTE, 0, [hdr, attrs], describe('del', r));
}

/** Routes of one table (default main; 0 = every table), one dump filtered in the kernel. */
export function routeList(s: NetlinkSocket, o: { family?: 4 | 6; table?: number } = {}): Route[] {
  const table = o.table ?? RT_TABLE_MAIN;
  const family = o.family ? afOf(o.family) : AF_UNSPEC;
  const hdr = encodeStruct(rtmsg, { family, table: table < 256 ? table : RT_TABLE_UNSPEC });
  const attrs = encodeAttrs(routeAttrs, table ? { table } : {});
  let msgs: NlMsg[];
  try {
    msgs = s.dump(RTM_GETROUTE, [hdr, attrs], `route list table ${table || 'all'}`);
  } catch (e) {
    // A table that was never used does not exist yet: it has no routes.
    if (e instanceof NetlinkError && e.code === 'ENOENT') return [];
    throw e;
  }
  const out: Route[] = [];
  for (const m of msgs) {
    if (m.type !== RTM_NEWROUTE) continue;
    const r = decodeRoute(m);
    if (r && (!table || r.table === table) && (!o.family || r.family === o.family)) out.push(r);
  }
  return out;
}

/** Asks the kernel which route (device, source, gateway) it would use to reach dst. */
export function routeGet(s: NetlinkSocket, dst: string): Route | undefined {
  const ip = parseIp(dst, 'route get destination');
  const hdr = encodeStruct(rtmsg, { family: afOf(ip.family), dstLen: ip.family === 4 ? 32 : 128 });
  try {
    const replies = s.request(RTM_GETROUTE, 0, [hdr, encodeAttrs(routeAttrs, { dst })], `route get ${dst}`);
    const m = replies.find((x) => x.type === RTM_NEWROUTE);
    return m ? decodeRoute(m) : undefined;
  } catch (e) {
    if (e instanceof NetlinkError && (e.code === 'ENETUNREACH' || e.code === 'EHOSTUNREACH')) return undefined;
    throw e;
  }
}
