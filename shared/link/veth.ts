// A veth pair whose container end is created directly inside the container netns (one netlink
// request from the host, no namespace switch needed).
import { CniError, ErrorCode } from '../cni/error';
import { Netlink, NetlinkError, type Link } from '../netlink';
import { randomVethName } from './random-name';

export interface VethPair {
  host: Link;
  container: Link;
}

export interface VethOptions {
  ifname: string;
  mtu?: number;
  containerMac?: string;
}

export function createVeth(hostNl: Netlink, ctrNl: Netlink, ctrNetnsFd: number, o: VethOptions): VethPair {
  if (ctrNl.linkByName(o.ifname)) {
    throw new CniError(ErrorCode.Internal, `container veth name provided (${o.ifname}) already exists`);
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    const hostName = randomVethName();
    try {
      hostNl.linkAdd({
        name: hostName,
        kind: 'veth',
        mtu: o.mtu || undefined,
        veth: { peerName: o.ifname, peerNetnsFd: ctrNetnsFd, peerMac: o.containerMac, peerMtu: o.mtu || undefined },
      });
    } catch (e) {
      // A clash is on our random host-side name unless the container name appeared meanwhile.
      if (e instanceof NetlinkError && e.code === 'EEXIST' && !ctrNl.linkByName(o.ifname)) continue;
      throw e;
    }
    const host = hostNl.linkByName(hostName);
    const container = ctrNl.linkByName(o.ifname);
    if (!host || !container) throw new CniError(ErrorCode.Internal, `veth ${hostName}/${o.ifname} vanished right after creation`);
    return { host, container };
  }
  throw new CniError(ErrorCode.Internal, 'failed to find a free host veth name after 10 tries');
}
