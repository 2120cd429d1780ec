// isGateway: the bridge (or its per-vlan gateway port) carries each subnet's gateway address and
// the host forwards. Only the address of the matching family/subnet is touched.
import { CniError, ErrorCode } from '../cni/error';
import { networkOf, parseCidr } from '../cni/ip';
import type { IPConfig } from '../cni/result';
import { isNetlinkError, type Link, type Netlink } from '../netlink';
import { enableForwarding } from '../sys/sysctl';
import { applyPortVlans } from './vlan';

function sameSubnet(a: string, b: string): boolean {
  const ca = parseCidr(a);
  const cb = parseCidr(b);
  if (!ca || !cb || ca.ip.family !== cb.ip.family || ca.prefix !== cb.prefix) return false;
  return networkOf(ca).value === networkOf(cb).value;
}

/** Ensures gw/prefix on the link for every IP with a gateway; returns the gateway CIDRs. */
export function ensureGatewayAddrs(nl: Netlink, link: Link, ips: IPConfig[], forceAddress: boolean): string[] {
  const wanted: string[] = [];
  for (const ip of ips) {
    if (!ip.gateway) continue;
    const prefix = ip.address.split('/')[1];
    wanted.push(`${ip.gateway}/${prefix}`);
  }
  if (!wanted.length) return wanted;
  const existing = nl.addrList({ index: link.index });
  let added = false;
  for (const gw of wanted) {
    if (existing.some((a) => a.cidr === gw)) continue;
    added = true;
    const family = gw.includes(':') ? 6 : 4;
    const clash = existing.filter((a) => a.family === family && a.scope === 0 && sameSubnet(a.cidr, gw));
    for (const c of clash) {
      if (!forceAddress) {
        throw new CniError(ErrorCode.Internal, `${link.name} already has an IP address different from ${gw}: ${c.cidr} (set forceAddress to replace it)`);
      }
      nl.addrDel(link.index, c.cidr);
    }
    try {
      nl.addrAdd(link.index, gw, { noDad: true, broadcast: true });
    } catch (e) {
      // A parallel ADD on the same bridge added the same gateway between our list and our add.
      if (!isNetlinkError(e, 'EEXIST')) throw e;
    }
  }
  // Pin the MAC so the bridge stops following the lowest port MAC: the gateway's ARP entries in
  // containers would otherwise go stale whenever a port leaves. Once is enough (the kernel then
  // keeps it), so only the ADD that gives the bridge its gateway does it, as the reference does:
  // a MAC change notifies every port of the bridge, which grows with the containers on it.
  if (!added) return wanted;
  const fresh = nl.linkByIndex(link.index);
  if (fresh) nl.linkSetMac(link.index, fresh.mac);
  return wanted;
}

/** Forwarding on for each family the container has an address of. */
export function enableForwardingFor(ips: IPConfig[]): void {
  if (ips.some((i) => !i.address.includes(':'))) enableForwarding(4);
  if (ips.some((i) => i.address.includes(':'))) enableForwarding(6);
}

/**
 * With a vlan, the gateway lives on a host veth named <bridge>.<vlan> whose peer is an access
 * port of that vlan on the bridge (as the reference does, preserveDefaultVlan included); created
 * once, shared by containers.
 */
export function ensureVlanGatewayLink(nl: Netlink, bridge: Link, vlan: number, mtu: number, peerName: string, preserveDefaultVlan: boolean): Link {
  const name = `${bridge.name}.${vlan}`;
  const existing = nl.linkByName(name);
  if (existing) return existing;
  if (Buffer.byteLength(name) > 15) throw new CniError(ErrorCode.InvalidNetworkConfig, `vlan gateway interface name ${name} is longer than 15 bytes: shorten field "bridge"`);
  nl.linkAdd({ name, kind: 'veth', mtu: mtu || undefined, veth: { peerName, peerMtu: mtu || undefined } });
  const peer = nl.linkByName(peerName)!;
  nl.linkSetMaster(peer.index, bridge.index);
  applyPortVlans(nl, peer.index, { vlan, trunk: [], preserveDefaultVlan });
  nl.linkSetUp(peer.index);
  const link = nl.linkByName(name)!;
  nl.linkSetUp(link.index);
  return link;
}
