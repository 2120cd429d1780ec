// VLAN membership of a bridge port: access vlan (PVID + untagged) and/or tagged trunk ranges.
import type { Netlink } from '../../shared/netlink';
import type { VlanRange } from './config';

export interface PortVlans {
  vlan: number;
  trunk: VlanRange[];
  preserveDefaultVlan: boolean;
}

export const usesVlans = (v: PortVlans): boolean => v.vlan !== 0 || v.trunk.length > 0;

export function applyPortVlans(nl: Netlink, portIndex: number, v: PortVlans): void {
  if (!usesVlans(v)) return;
  if (!v.preserveDefaultVlan) {
    for (const e of nl.bridgeVlanList(portIndex)) nl.bridgeVlanDel(portIndex, e.vid);
  }
  // With a trunk and no access vlan, native vlan 1 stays the untagged one (reference behaviour).
  const native = v.vlan || (v.trunk.length ? 1 : 0);
  if (native) nl.bridgeVlanAdd(portIndex, native, { pvid: true, untagged: true });
  for (const r of v.trunk) {
    nl.bridgeVlanAdd(portIndex, r.min, r.max > r.min ? { vidEnd: r.max } : {});
  }
}
