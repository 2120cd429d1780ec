// The host bridge: created on first use, reused afterwards, refused if the name is something else.
import { CniError, ErrorCode } from '../cni/error';
import { Netlink, NetlinkError, type Link } from '../netlink';
import { disableAcceptRa } from '../sys/sysctl';

export interface BridgeOptions {
  name: string;
  mtu?: number;
  vlanFiltering: boolean;
  promisc: boolean;
}

function noVlanFiltering(name: string): CniError {
  return new CniError(ErrorCode.UnsupportedField, `bridge ${name}: this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), so "vlan"/"vlanTrunk" cannot be used`);
}

export function ensureBridge(nl: Netlink, o: BridgeOptions): { bridge: Link; created: boolean } {
  let created = false;
  let br = nl.linkByName(o.name);
  if (!br) {
    try {
      nl.linkAdd({ name: o.name, kind: 'bridge', mtu: o.mtu || undefined, ...(o.vlanFiltering ? { bridge: { vlanFiltering: true } } : {}) });
      created = true;
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'EOPNOTSUPP' && o.vlanFiltering) throw noVlanFiltering(o.name);
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
    }
    br = nl.linkByName(o.name);
  }
  if (!br) throw new CniError(ErrorCode.Internal, `could not create bridge ${o.name}`);
  if (br.kind !== 'bridge') throw new CniError(ErrorCode.Internal, `${o.name} already exists but is not a bridge`);
  let changed = created;
  if (o.vlanFiltering && !br.bridge?.vlanFiltering) {
    changed = true;
    try {
      nl.bridgeSetVlanFiltering(br.index, true);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'EOPNOTSUPP') throw noVlanFiltering(o.name);
      throw e;
    }
  }
  if (o.promisc && !br.promisc) {
    nl.linkSetPromisc(br.index, true);
    changed = true;
  }
  if (created) {
    // Pin the MAC now: left unset, the kernel makes the bridge follow its lowest port MAC, so it
    // changes as containers come and go (stale ARP for the gateway, CHECK seeing a new MAC).
    nl.linkSetMac(br.index, br.mac);
    // The bridge must not autoconfigure from RAs on a container network.
    disableAcceptRa(o.name);
  }
  if (!br.up) {
    nl.linkSetUp(br.index);
    changed = true;
  }
  // Read back only what this call changed: the common ADD finds the bridge as it wants it.
  return { bridge: (changed && nl.linkByIndex(br.index)) || br, created };
}
