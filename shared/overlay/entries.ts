// Per-peer kernel entries on our vxlan device, computed from the peer set (pure) and reconciled
// against the kernel: flannel's order (neighbour → FDB → route) on the way in, the reverse on the
// way out, and only permanent entries on our own device are ever removed.
import { isNetlinkError, nl as K, type Netlink } from '../netlink';
import { type Subnet, subnetText } from './addr';
import { canonicalIp } from '../cni/ip';

export const ZERO_MAC = '00:00:00:00:00:00';

export type OverlayMode = 'l2' | 'l3';

export interface ResolvedPeer {
  name?: string;
  underlayIP: string;
  mac: string;
  subnet?: Subnet;
}

export interface NeighEntry {
  ip: string;
  mac: string;
}
export interface FdbDst {
  mac: string;
  dst: string;
}
export interface RouteEntry {
  dst: string;
  gw: string;
}

export interface OverlayEntries {
  neighs: NeighEntry[];
  fdb: FdbDst[];
  routes: RouteEntry[];
}

export interface EntryOptions {
  mode: OverlayMode;
  /** l2 BUM handling: head-end replication needs one all-zeros entry per peer; a group does not. */
  flood?: 'headend' | 'multicast';
}

/** What the kernel should hold for this peer set (self already removed). */
export function desiredEntries(o: EntryOptions, peers: ResolvedPeer[]): OverlayEntries {
  const out: OverlayEntries = { neighs: [], fdb: [], routes: [] };
  for (const p of peers) {
    const dst = canonicalIp(p.underlayIP)!;
    if (o.mode === 'l2') {
      if (o.flood !== 'multicast') out.fdb.push({ mac: ZERO_MAC, dst });
      continue;
    }
    if (!p.subnet) continue;
    // The peer's subnet network address stands for its VTEP: a /32 on its device, so the
    // onlink route's gateway resolves through our static neighbour entry, never ARP.
    out.neighs.push({ ip: p.subnet.network, mac: p.mac.toLowerCase() });
    out.fdb.push({ mac: p.mac.toLowerCase(), dst });
    out.routes.push({ dst: subnetText(p.subnet), gw: p.subnet.network });
  }
  return out;
}

const fdbKey = (e: FdbDst): string => `${e.mac}|${e.dst}`;
const routeKey = (r: RouteEntry): string => `${r.dst}|${r.gw}`;

/** The permanent entries now on the device (learned ones are the kernel's business). */
export function currentEntries(nl: Netlink, index: number, keepDst?: string): OverlayEntries {
  const neighs = nl
    .neighList({ index })
    .filter((n) => n.family !== 7 && n.ip && n.mac && n.state & K.NUD_PERMANENT)
    .map((n) => ({ ip: canonicalIp(n.ip!)!, mac: n.mac! }));
  const keep = keepDst ? canonicalIp(keepDst) : undefined;
  const fdb = nl
    .fdbList(index)
    .filter((n) => n.index === index && n.dst && n.mac && n.state & K.NUD_PERMANENT && n.flags & K.NTF_SELF)
    .map((n) => ({ mac: n.mac!, dst: canonicalIp(n.dst!)! }))
    .filter((e) => e.dst !== keep);
  const routes = [4, 6]
    .flatMap((family) => nl.routeList({ family: family as 4 | 6 }))
    .filter((r) => r.dev === index && r.gw)
    .map((r) => ({ dst: r.dst, gw: canonicalIp(r.gw!)! }));
  return { neighs, fdb, routes };
}

export interface EntryDiff {
  missing: OverlayEntries;
  stale: OverlayEntries;
}

export function diffEntries(want: OverlayEntries, have: OverlayEntries): EntryDiff {
  const haveNeigh = new Map(have.neighs.map((n) => [n.ip, n.mac]));
  const wantNeigh = new Map(want.neighs.map((n) => [n.ip, n.mac]));
  const haveFdb = new Set(have.fdb.map(fdbKey));
  const wantFdb = new Set(want.fdb.map(fdbKey));
  const haveRoute = new Set(have.routes.map(routeKey));
  const wantRoute = new Set(want.routes.map(routeKey));
  return {
    missing: {
      neighs: want.neighs.filter((n) => haveNeigh.get(n.ip) !== n.mac),
      fdb: want.fdb.filter((e) => !haveFdb.has(fdbKey(e))),
      routes: want.routes.filter((r) => !haveRoute.has(routeKey(r))),
    },
    stale: {
      neighs: have.neighs.filter((n) => !wantNeigh.has(n.ip)),
      fdb: have.fdb.filter((e) => !wantFdb.has(fdbKey(e))),
      routes: have.routes.filter((r) => !wantRoute.has(routeKey(r))),
    },
  };
}

export const isEmptyEntries = (e: OverlayEntries): boolean => !e.neighs.length && !e.fdb.length && !e.routes.length;

export function describeEntries(e: OverlayEntries): string[] {
  return [
    ...e.neighs.map((n) => `neighbour ${n.ip} lladdr ${n.mac}`),
    ...e.fdb.map((f) => `fdb ${f.mac} dst ${f.dst}`),
    ...e.routes.map((r) => `route ${r.dst} via ${r.gw} onlink`),
  ];
}

/** Adds what is missing and removes what is stale on our device; returns what changed. */
export function reconcileEntries(nl: Netlink, index: number, want: OverlayEntries, keepDst?: string): EntryDiff {
  const diff = diffEntries(want, currentEntries(nl, index, keepDst));
  for (const n of diff.missing.neighs) nl.neighSet({ index, ip: n.ip, mac: n.mac });
  for (const e of diff.missing.fdb) {
    // All-zeros entries form the flood list (one per peer: append); a unicast MAC has one home.
    if (e.mac === ZERO_MAC) nl.fdbAppend({ index, mac: e.mac, dst: e.dst, self: true });
    else nl.fdbReplace({ index, mac: e.mac, dst: e.dst, self: true });
  }
  for (const r of diff.missing.routes) nl.routeReplace({ dst: r.dst, gw: r.gw, dev: index, onlink: true });

  // A replace above may already have taken a stale entry with it: gone is what we want.
  for (const r of diff.stale.routes) ignoreGone(() => nl.routeDel({ dst: r.dst, gw: r.gw, dev: index }));
  for (const e of diff.stale.fdb) ignoreGone(() => nl.fdbDel({ index, mac: e.mac, dst: e.dst, self: true }));
  for (const n of diff.stale.neighs) ignoreGone(() => nl.neighDel({ index, ip: n.ip }));
  return diff;
}

function ignoreGone(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(isNetlinkError(e) && (e.code === 'ENOENT' || e.code === 'ESRCH'))) throw e;
  }
}
