// Bridge settings: vlan filtering on the bridge, per-port flags (IFLA_PROTINFO) and port vlans
// (IFLA_AF_SPEC / IFLA_BRIDGE_VLAN_INFO), all through AF_BRIDGE link messages.
import {
  AF_BRIDGE, BRIDGE_FLAGS_SELF, BRIDGE_VLAN_INFO, RTEXT_FILTER_BRVLAN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK,
  RTM_SETLINK,
} from './constants';
import { decodeAttrs, decodeBody, encodeAttrs, encodeStruct, ifinfomsg, type Attrs } from './codec';
import { NetlinkError } from './error';
import { linkChangeInfo } from './link';
import { bridgeAfSpecAttrs, bridgeAttrs, brportAttrs, linkAttrs } from './link-attrs';
import type { NetlinkSocket } from './socket';

const EINVAL = 22;

export interface BridgePortOptions {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
  neighSuppress?: boolean;
}

export interface BridgeVlanOptions {
  pvid?: boolean;
  untagged?: boolean;
  /** The vlan belongs to the bridge device itself rather than to a port. */
  self?: boolean;
  /** Last vid of a range starting at vid. */
  vidEnd?: number;
}

export interface BridgeVlan {
  vid: number;
  pvid: boolean;
  untagged: boolean;
}

const bit = (on: boolean | undefined): number | undefined => (on === undefined ? undefined : on ? 1 : 0);

export function bridgeSetVlanFiltering(s: NetlinkSocket, index: number, on: boolean): void {
  linkChangeInfo(s, index, 'bridge', encodeAttrs(bridgeAttrs, { vlanFiltering: on ? 1 : 0 }), `bridge set vlan_filtering ${on ? 1 : 0}`);
}

export function bridgePortSet(s: NetlinkSocket, index: number, o: BridgePortOptions): void {
  const p: Attrs<typeof brportAttrs> = {
    mode: bit(o.hairpin),
    isolated: bit(o.isolated),
    learning: bit(o.learning),
    neighSuppress: bit(o.neighSuppress),
  };
  const hdr = encodeStruct(ifinfomsg, { family: AF_BRIDGE, index });
  // NLA_F_NESTED on IFLA_PROTINFO tells the bridge this is a list of port attributes, not the
  // legacy single state byte.
  s.request(RTM_SETLINK, 0, [hdr, encodeAttrs(linkAttrs, { protinfo: encodeAttrs(brportAttrs, p) })], `bridge port set (index ${index})`);
}

function checkVid(vid: number, what: string): void {
  if (!Number.isInteger(vid) || vid < 1 || vid > 4094) throw new NetlinkError(EINVAL, `${what}: invalid vlan id ${vid} (1-4094)`);
}

function vlanSpec(vid: number, o: BridgeVlanOptions, what: string): Buffer {
  checkVid(vid, what);
  let flags = 0;
  if (o.pvid) flags |= BRIDGE_VLAN_INFO.PVID;
  if (o.untagged) flags |= BRIDGE_VLAN_INFO.UNTAGGED;
  const entries = [{ flags, vid }];
  if (o.vidEnd !== undefined && o.vidEnd !== vid) {
    checkVid(o.vidEnd, what);
    if (o.vidEnd < vid) throw new NetlinkError(EINVAL, `${what}: vidEnd ${o.vidEnd} is below vid ${vid}`);
    entries[0]!.flags |= BRIDGE_VLAN_INFO.RANGE_BEGIN;
    entries.push({ flags: (flags & ~BRIDGE_VLAN_INFO.PVID) | BRIDGE_VLAN_INFO.RANGE_END, vid: o.vidEnd });
  }
  return encodeAttrs(bridgeAfSpecAttrs, {
    ...(o.self && { flags: BRIDGE_FLAGS_SELF }),
    vlanInfo: entries,
  });
}

export function bridgeVlanAdd(s: NetlinkSocket, index: number, vid: number, o: BridgeVlanOptions = {}): void {
  const what = `bridge vlan add vid ${vid}${o.vidEnd ? `-${o.vidEnd}` : ''} (index ${index})`;
  const spec = vlanSpec(vid, o, what);
  s.request(RTM_SETLINK, 0, [encodeStruct(ifinfomsg, { family: AF_BRIDGE, index }), encodeAttrs(linkAttrs, { afSpec: spec })], what);
}

export function bridgeVlanDel(s: NetlinkSocket, index: number, vid: number, o: { self?: boolean; vidEnd?: number } = {}): void {
  const what = `bridge vlan del vid ${vid}${o.vidEnd ? `-${o.vidEnd}` : ''} (index ${index})`;
  const spec = vlanSpec(vid, o, what);
  s.request(RTM_DELLINK, 0, [encodeStruct(ifinfomsg, { family: AF_BRIDGE, index }), encodeAttrs(linkAttrs, { afSpec: spec })], what);
}

/** The vlans of one bridge port (or of the bridge itself). The AF_BRIDGE dump has no ifindex filter. */
export function bridgeVlanList(s: NetlinkSocket, index: number): BridgeVlan[] {
  const msgs = s.dump(
    RTM_GETLINK,
    [encodeStruct(ifinfomsg, { family: AF_BRIDGE }), encodeAttrs(linkAttrs, { extMask: RTEXT_FILTER_BRVLAN })],
    `bridge vlan list (index ${index})`,
  );
  const out: BridgeVlan[] = [];
  for (const m of msgs) {
    if (m.type !== RTM_NEWLINK) continue;
    const { hdr, attrs } = decodeBody(ifinfomsg, linkAttrs, m.payload);
    if (hdr.index !== index || !attrs.afSpec) continue;
    for (const v of decodeAttrs(bridgeAfSpecAttrs, attrs.afSpec).vlanInfo ?? []) {
      out.push({ vid: v.vid, pvid: (v.flags & BRIDGE_VLAN_INFO.PVID) !== 0, untagged: (v.flags & BRIDGE_VLAN_INFO.UNTAGGED) !== 0 });
    }
  }
  return out;
}
