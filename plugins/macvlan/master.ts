// The macvlan's parent: named in the config, or the interface of the default route, looked up
// in the host netns (or in the container's, with linkInContainer).
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Link, Netlink } from '../../shared/netlink';

/** The reference takes the first default route of any family; v4 is asked first here. */
export function defaultRouteLink(n: Netlink): Link | undefined {
  for (const family of [4, 6] as const) {
    for (const r of n.routeList({ family })) {
      const isDefault = r.dst === '0.0.0.0/0' || r.dst === '::/0';
      const dev = r.dev ?? r.multipath?.[0]?.dev;
      if (!isDefault || !dev) continue;
      const l = n.linkByIndex(dev);
      if (l) return l;
    }
  }
  return undefined;
}

export function findMaster(n: Netlink, master: string, where: string): Link {
  if (!master) {
    const l = defaultRouteLink(n);
    if (!l) throw new CniError(ErrorCode.InvalidNetworkConfig, `field "master" is empty and there is no default route interface in the ${where} netns`);
    return l;
  }
  const l = n.linkByName(master);
  if (!l) throw new CniError(ErrorCode.InvalidNetworkConfig, `master interface "${master}" (field "master") not found in the ${where} netns`);
  return l;
}

export function checkMtu(mtu: number, master: Link): void {
  if (mtu > master.mtu) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MTU ${mtu} in field "mtu": must be [0, master ${master.name} MTU (${master.mtu})]`);
  }
}
