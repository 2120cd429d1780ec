// The underlay: the host interface and address VXLAN packets leave from. Resolved explicitly
// every time because the kernel's defaults are traps: a vxlan device created without `dev`
// gets MTU 1500 whatever the underlay's MTU.
import type { Link, Netlink } from '../netlink';
import { canonicalIp, ipFamily, type Family } from '../cni/ip';

export interface UnderlayRequest {
  interface?: string;
  address?: string;
}

export interface Underlay {
  link: Link;
  address: string;
  family: Family;
}

/** Why the underlay cannot be resolved, naming the config field; thrown by resolveUnderlay. */
export class UnderlayError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** VXLAN header overhead for each underlay family: outer IP + UDP + VXLAN + inner Ethernet. */
export const encapOverhead = (f: Family): number => (f === 4 ? 50 : 70);

function globalAddrs(nl: Netlink, index: number, family?: Family): string[] {
  return nl
    .addrList({ index, ...(family && { family }) })
    .filter((a) => a.scope === 0)
    .map((a) => a.address);
}

function defaultRouteLink(nl: Netlink): { index: number; family: Family } | undefined {
  for (const family of [4, 6] as const) {
    const dst = family === 4 ? '0.0.0.0/0' : '::/0';
    const r = nl.routeList({ family }).find((x) => x.dst === dst && (x.dev || x.multipath?.length));
    const index = r?.dev ?? r?.multipath?.[0]?.dev;
    if (index) return { index, family };
  }
  return undefined;
}

export function resolveUnderlay(nl: Netlink, req: UnderlayRequest): Underlay {
  const wantAddr = req.address !== undefined ? canonicalIp(req.address) : undefined;
  if (req.address !== undefined && !wantAddr) throw new UnderlayError('underlay.address', `"${req.address}" is not an IP address`);

  let link: Link | undefined;
  let family: Family | undefined = wantAddr ? ipFamily(wantAddr) : undefined;
  if (req.interface !== undefined) {
    link = nl.linkByName(req.interface);
    if (!link) throw new UnderlayError('underlay.interface', `underlay interface "${req.interface}" does not exist`);
  } else if (wantAddr) {
    const owner = nl.addrList({ family }).find((a) => a.address === wantAddr);
    if (!owner) throw new UnderlayError('underlay.address', `no interface holds the underlay address ${wantAddr}`);
    link = nl.linkByIndex(owner.index);
  } else {
    const d = defaultRouteLink(nl);
    if (!d) throw new UnderlayError('underlay', 'no default route to pick the underlay interface from: set "underlay.interface"');
    link = nl.linkByIndex(d.index);
    family = d.family;
  }
  if (!link) throw new UnderlayError('underlay', 'the underlay interface vanished while it was being resolved');

  const addrs = globalAddrs(nl, link.index, family);
  let address: string | undefined;
  if (wantAddr) {
    if (!addrs.includes(wantAddr)) throw new UnderlayError('underlay.address', `underlay address ${wantAddr} is not on interface ${link.name}`);
    address = wantAddr;
  } else {
    // Prefer IPv4 when the interface has both: it is what peers usually name.
    address = addrs.find((a) => ipFamily(a) === 4) ?? addrs[0];
  }
  if (!address) throw new UnderlayError('underlay', `underlay interface ${link.name} has no global address`);
  return { link, address, family: ipFamily(address)! };
}
