// What `network create` needs to know about the host it runs on (the current network namespace:
// cnitool runs where the plugins will run): the subnets its routes and addresses occupy, its
// links, its addresses. Read through our netlink layer, never by parsing ip(8) output.
import { Netlink, type Link } from '../../../shared/netlink';
import { parseSubnet } from '../../../shared/overlay/addr';
import type { Occupied } from './pool';

export interface HostFacts {
  /** Non-default routes of the main table and every address's subnet. */
  occupied: Occupied[];
  links: Link[];
  /** Every address configured on the host (canonical text). */
  addresses: string[];
}

function linkName(links: Link[], index: number | undefined): string {
  return links.find((l) => l.index === index)?.name ?? `if${index}`;
}

export function readHostFacts(): HostFacts {
  const nl = Netlink.open();
  try {
    const links = nl.linkList();
    const occupied: Occupied[] = [];
    for (const r of nl.routeList()) {
      const s = parseSubnet(r.dst);
      // Any subnet lies inside a default route; Docker ignores those too.
      if (!s || s.prefix === 0) continue;
      const via = r.dev !== undefined ? ` dev ${linkName(links, r.dev)}` : r.gw ? ` via ${r.gw}` : '';
      occupied.push({ subnet: s, what: `host route ${r.dst}${via}` });
    }
    const addrs = nl.addrList();
    for (const a of addrs) {
      const s = parseSubnet(a.cidr);
      if (!s || (a.family === 6 && a.address.toLowerCase().startsWith('fe80'))) continue;
      // 127.0.0.0/8 and ::1 are always there and never in a pool: no reason to list them.
      if (a.address === '127.0.0.1' || a.address === '::1') continue;
      occupied.push({ subnet: s, what: `host address ${a.cidr} on ${linkName(links, a.index)}` });
    }
    return { occupied, links, addresses: addrs.map((a) => a.address) };
  } finally {
    nl.close();
  }
}
