// The netlink layer's public entry: one Netlink object per network namespace, every call
// synchronous: callers may be inside setns on the main thread, and setns moves only that
// thread, so nothing may wait for the event loop or the thread pool in between.
import { sleepSync } from '../sys/sleep';
import { withNetns } from '../netns/netns';
import * as addr from './addr';
import * as bridge from './bridge';
import * as link from './link';
import * as neigh from './neigh';
import * as route from './route';
import { NetlinkSocket } from './socket';
import type { Addr, AddrAddOptions, FdbEntry, Link, LinkAddOptions, Neigh, Route, RouteSpec } from './types';
import type { BridgePortOptions, BridgeVlan, BridgeVlanOptions } from './bridge';

export { NetlinkError, isNetlinkError } from './error';
export type { Addr, AddrAddOptions, FdbEntry, Link, LinkAddOptions, Neigh, Route, RouteSpec } from './types';
export type { BridgePortOptions, BridgeVlan, BridgeVlanOptions } from './bridge';
export * as nl from './constants';
export { parseCidr, parseIp, parseMac, formatIp, formatMac } from './ip';

export class Netlink {
  private constructor(private readonly sock: NetlinkSocket) {}

  /** A socket bound in the current thread's netns; it stays bound there after setns back. */
  static open(): Netlink {
    return new Netlink(NetlinkSocket.open());
  }

  close(): void {
    this.sock.close();
  }

  // ---- links
  linkList(): Link[] { return link.linkList(this.sock); }
  /** undefined when no such link (ENODEV). */
  linkByName(name: string): Link | undefined { return link.linkByName(this.sock, name); }
  linkByIndex(index: number): Link | undefined { return link.linkByIndex(this.sock, index); }
  /** Throws NetlinkError EEXIST when the name is taken. */
  linkAdd(o: LinkAddOptions): void { link.linkAdd(this.sock, o); }
  linkDel(index: number): void { link.linkDel(this.sock, index); }
  linkSetUp(index: number, up = true): void { link.linkSetUp(this.sock, index, up); }
  linkSetMtu(index: number, mtu: number): void { link.linkSetMtu(this.sock, index, mtu); }
  linkSetMac(index: number, mac: string): void { link.linkSetMac(this.sock, index, mac); }
  /** master 0 = nomaster. */
  linkSetMaster(index: number, master: number): void { link.linkSetMaster(this.sock, index, master); }
  linkSetNetns(index: number, netnsFd: number): void { link.linkSetNetns(this.sock, index, netnsFd); }
  linkRename(index: number, name: string): void { link.linkRename(this.sock, index, name); }
  linkSetPromisc(index: number, on: boolean): void { link.linkSetPromisc(this.sock, index, on); }
  linkSetTxqlen(index: number, q: number): void { link.linkSetTxqlen(this.sock, index, q); }
  linkSetAllmulti(index: number, on: boolean): void { link.linkSetAllmulti(this.sock, index, on); }
  vxlanSetLearning(index: number, on: boolean): void { link.vxlanSetLearning(this.sock, index, on); }

  // ---- bridges
  bridgeSetVlanFiltering(index: number, on: boolean): void { bridge.bridgeSetVlanFiltering(this.sock, index, on); }
  bridgePortSet(index: number, o: BridgePortOptions): void { bridge.bridgePortSet(this.sock, index, o); }
  bridgeVlanAdd(index: number, vid: number, o?: BridgeVlanOptions): void { bridge.bridgeVlanAdd(this.sock, index, vid, o); }
  bridgeVlanDel(index: number, vid: number, o?: { self?: boolean; vidEnd?: number }): void { bridge.bridgeVlanDel(this.sock, index, vid, o); }
  bridgeVlanList(index: number): BridgeVlan[] { return bridge.bridgeVlanList(this.sock, index); }

  // ---- addresses
  addrList(o?: { family?: 4 | 6; index?: number }): Addr[] { return addr.addrList(this.sock, o); }
  addrAdd(index: number, cidr: string, o?: AddrAddOptions): void { addr.addrAdd(this.sock, index, cidr, o); }
  addrDel(index: number, cidr: string): void { addr.addrDel(this.sock, index, cidr); }

  // ---- routes
  /** table defaults to main (254); 0 = all tables. */
  routeList(o?: { family?: 4 | 6; table?: number }): Route[] { return route.routeList(this.sock, o); }
  /** NLM_F_CREATE|NLM_F_EXCL: EEXIST when the route is there already. */
  routeAdd(r: RouteSpec): void { route.routeAdd(this.sock, r); }
  routeReplace(r: RouteSpec): void { route.routeReplace(this.sock, r); }
  routeDel(r: RouteSpec): void { route.routeDel(this.sock, r); }
  /** The route the kernel would use for dst (dev, src, gw); undefined when unreachable. */
  routeGet(dst: string): Route | undefined { return route.routeGet(this.sock, dst); }

  // ---- neighbours and FDB
  neighList(o?: { family?: 4 | 6 | 7; index?: number }): Neigh[] { return neigh.neighList(this.sock, o); }
  /** Replace semantics; state defaults to NUD_PERMANENT. */
  neighSet(n: { index: number; ip: string; mac: string; state?: number }): void { neigh.neighSet(this.sock, n); }
  neighDel(n: { index: number; ip: string }): void { neigh.neighDel(this.sock, n); }
  fdbAppend(n: FdbEntry): void { neigh.fdbAppend(this.sock, n); }
  fdbReplace(n: FdbEntry): void { neigh.fdbReplace(this.sock, n); }
  fdbDel(n: FdbEntry): void { neigh.fdbDel(this.sock, n); }
  fdbList(index?: number): Neigh[] { return neigh.fdbList(this.sock, index); }
}

/** Opens a socket inside the netns, runs fn there (synchronously), and closes the socket. */
export function withNetlinkIn<T>(netnsPath: string, fn: (nl: Netlink) => T): T {
  return withNetns(netnsPath, () => {
    const n = Netlink.open();
    try {
      return fn(n);
    } finally {
      n.close();
    }
  });
}

/**
 * Polls until the link's operstate is 'up' or the time runs out, and returns the last operstate
 * seen ('up' on success; 'notpresent' when the link disappeared) so the caller decides.
 */
export function waitOperUp(n: Netlink, index: number, timeoutMs: number): string {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const l = n.linkByIndex(index);
    if (!l) return 'notpresent';
    if (l.operstate === 'up' || Date.now() >= deadline) return l.operstate;
    sleepSync(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}
