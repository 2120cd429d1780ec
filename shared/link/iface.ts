// Puts the IPAM result onto a container interface: addresses, link up, routes. Must run inside
// the container netns (withNetns) because the sysctls are per-namespace files.
import type { IPConfig, Route } from '../cni/result';
import { isNetlinkError, type Netlink } from '../netlink';
import { enableArpNotify, enableIpv6, setDad } from '../sys/sysctl';

const isV6 = (cidr: string): boolean => cidr.includes(':');

export interface IfaceSetup {
  index: number;
  ifname: string;
  ips: IPConfig[];
  routes: Route[];
  enableDad: boolean;
}

export function configureIface(nl: Netlink, s: IfaceSetup): void {
  setDad(s.ifname, s.enableDad);
  enableArpNotify(s.ifname);
  if (s.ips.some((ip) => isV6(ip.address))) enableIpv6(s.ifname);
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
