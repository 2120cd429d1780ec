// The host bridge: created on first use, reused afterwards, refused if the name is something else.
import { CniError, ErrorCode } from '../cni/error';
import { Netlink, NetlinkError, type Link } from '../netlink';
import { sysctlSet } from '../sys/sysctl';

export interface BridgeOptions {
  name: string;
  mtu?: number;
  vlanFiltering: boolean;
  promisc: boolean;
}

export function ensureBridge(nl: Netlink, o: BridgeOptions): { bridge: Link; created: boolean } {
  let created = false;
  let br = nl.linkByName(o.name);
  if (!br) {
    try {
      nl.linkAdd({ name: o.name, kind: 'bridge', mtu: o.mtu || undefined, bridge: { vlanFiltering: o.vlanFiltering } });
      created = true;
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
    }
    br = nl.linkByName(o.name);
  }
  if (!br) throw new CniError(ErrorCode.Internal, `could not create bridge ${o.name}`);
  if (br.kind !== 'bridge') throw new CniError(ErrorCode.Internal, `${o.name} already exists but is not a bridge`);
  if (o.vlanFiltering && !br.bridge?.vlanFiltering) nl.bridgeSetVlanFiltering(br.index, true);
  if (o.promisc && !br.promisc) nl.linkSetPromisc(br.index, true);
  if (created) {
    // The bridge must not autoconfigure from RAs on a container network.
    try {
      sysctlSet(`net/ipv6/conf/${o.name}/accept_ra`, '0');
    } catch {
      /* IPv6 disabled on this host */
    }
  }
  if (!br.up) nl.linkSetUp(br.index);
  return { bridge: nl.linkByIndex(br.index) ?? br, created };
}
