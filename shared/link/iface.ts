// Puts the IPAM result onto a container interface: addresses, link up, routes. Must run inside
// the container netns (withNetns) because the sysctls are per-namespace files.
import type { IPConfig, Route } from '../cni/result';
import { isNetlinkError, type Netlink } from '../netlink';
import { sysctlSet } from '../sys/sysctl';

const isV6 = (cidr: string): boolean => cidr.includes(':');

function trySysctl(key: string, value: string): void {
  try {
    sysctlSet(key, value);
  } catch {
    /* the key does not exist when IPv6 is disabled */
  }
}

export interface IfaceSetup {
  index: number;
  ifname: string;
  ips: IPConfig[];
  routes: Route[];
  enableDad: boolean;
}

export function configureIface(nl: Netlink, s: IfaceSetup): void {
  if (s.enableDad) {
    trySysctl(`net/ipv6/conf/${s.ifname}/enhanced_dad`, '1');
    trySysctl(`net/ipv6/conf/${s.ifname}/accept_dad`, '1');
  } else {
    trySysctl(`net/ipv6/conf/${s.ifname}/accept_dad`, '0');
  }
  trySysctl(`net/ipv4/conf/${s.ifname}/arp_notify`, '1');
  if (s.ips.some((ip) => isV6(ip.address))) {
    trySysctl('net/ipv6/conf/lo/disable_ipv6', '0');
    trySysctl(`net/ipv6/conf/${s.ifname}/disable_ipv6`, '0');
    trySysctl(`net/ipv6/conf/${s.ifname}/keep_addr_on_down`, '1');
  }
  for (const ip of s.ips) nl.addrAdd(s.index, ip.address, { noDad: !s.enableDad, broadcast: true });
  nl.linkSetUp(s.index);
  const gw4 = s.ips.find((i) => !isV6(i.address) && i.gateway)?.gateway;
  const gw6 = s.ips.find((i) => isV6(i.address) && i.gateway)?.gateway;
  for (const r of s.routes) {
    const gw = r.gw ?? (isV6(r.dst) ? gw6 : gw4);
    try {
      nl.routeAdd({ dst: r.dst, gw, dev: s.index, mtu: r.mtu, advmss: r.advmss, priority: r.priority, table: r.table, scope: r.scope });
    } catch (e) {
      // As the reference: a route another interface already added (a second network's default
      // route, podman --network a,b) is skipped; the first one wins.
      if (!isNetlinkError(e, 'EEXIST')) throw e;
    }
  }
}
