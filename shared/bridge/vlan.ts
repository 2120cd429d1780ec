// VLAN membership of a bridge port: access vlan (PVID + untagged) and/or tagged trunk ranges.
import type { Netlink } from '../netlink';
import type { VlanRange } from './config';

export interface PortVlans {
  vlan: number;
  trunk: VlanRange[];
  preserveDefaultVlan: boolean;
}

export const usesVlans = (v: PortVlans): boolean => v.vlan !== 0 || v.trunk.length > 0;

/** The narrow part of Netlink this needs (a fake in unit tests). */
export type VlanOps = Pick<Netlink, 'bridgeVlanList' | 'bridgeVlanDel' | 'bridgeVlanAdd'>;

export function applyPortVlans(nl: VlanOps, portIndex: number, v: PortVlans): void {
  if (!usesVlans(v)) return;
  if (!v.preserveDefaultVlan) {
    for (const e of nl.bridgeVlanList(portIndex)) nl.bridgeVlanDel(portIndex, e.vid);
  }
  // Without preserveDefaultVlan the port loses the VLAN 1 the kernel gave it; a trunk still gets 1
  // back as its native (PVID, untagged) vlan, as the reference 1.8 does, so untagged frames pass.
  const native = v.vlan || (v.trunk.length ? 1 : 0);
  if (native) nl.bridgeVlanAdd(portIndex, native, { pvid: true, untagged: true });
  for (const r of v.trunk) {
    nl.bridgeVlanAdd(portIndex, r.min, r.max > r.min ? { vidEnd: r.max } : {});
  }
}
