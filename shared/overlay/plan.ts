// From a validated config and the host's underlay to everything the overlay should look like on
// this host: the device, the per-peer entries and the firewall. Pure apart from the underlay
// lookup, so ADD, CHECK, GC and STATUS share one definition of "desired".
import type { Netlink } from '../netlink';
import { parseSubnet, subnetText } from './addr';
import { canonicalIp, ipFamily, ipRange, type Family } from '../cni/ip';
import type { VxlanSpec } from './device';
import { desiredEntries, type OverlayEntries, type ResolvedPeer } from './entries';
import type { OverlayFirewall } from './firewall';
import type { Peer } from './peers';
import { encapOverhead, resolveUnderlay, UnderlayError, type Underlay, type UnderlayRequest } from './underlay';
import { deriveVtepMac } from './vtep-mac';
import { badField as bad } from './conf-error';
import type { Overlay } from './config';
import { sameSpan } from './shares';

export interface Plan {
  overlay: Overlay;
  underlay: Underlay;
  mtu: number;
  spec: VxlanSpec;
  peers: ResolvedPeer[];
  entries: OverlayEntries;
  firewall: OverlayFirewall;
  /** l3: the device's own address (the node subnet's network address, /32 or /128). */
  deviceAddr?: string;
}

/** This host's underlay as the config asks for it; a bad request is code 7 naming the field. */
export function underlayOf(nl: Netlink, req: UnderlayRequest): Underlay {
  try {
    return resolveUnderlay(nl, req);
  } catch (e) {
    if (e instanceof UnderlayError) throw bad(e.field, e.message);
    throw e;
  }
}

/** Drops this host's own entry from the peer list, checking it agrees with our own settings. */
export function resolvePeers(o: Overlay, self: string, family: Family, peers: Peer[]): ResolvedPeer[] {
  const out: ResolvedPeer[] = [];
  for (const [i, p] of peers.entries()) {
    const f = `peers[${i}]`;
    const ip = canonicalIp(p.underlayIP)!;
    if (ipFamily(ip) !== family) throw bad(`${f}.underlayIP`, `${ip} is not of the underlay's family (IPv${family}, local ${self})`);
    const subnet = p.subnet ? parseSubnet(p.subnet, true) : undefined;
    const range = p.nodeRange ? ipRange(p.nodeRange.rangeStart, p.nodeRange.rangeEnd) : undefined;
    // The overlap rule itself is config-peers.ts's; what is left here is which entry is ours.
    const sameSubnet = subnet && o.nodeSubnet && sameSpan(subnet, o.nodeSubnet);
    const sameRange = range && o.nodeRange && sameSpan(range, o.nodeRange.range);
    if (ip === self) {
      if (subnet && !sameSubnet) throw bad(`${f}.subnet`, `this host's own entry says ${p.subnet}, but nodeSubnet is ${subnetText(o.nodeSubnet!)}`);
      if (range && !sameRange) throw bad(`${f}.nodeRange`, `this host's own entry differs from nodeRange`);
      if (p.vtepMac && p.vtepMac.toLowerCase() !== o.vtepMac && o.vtepMac !== 'auto') throw bad(`${f}.vtepMac`, `this host's own entry differs from vtepMac`);
      continue;
    }
    if (sameSubnet) throw bad(`${f}.subnet`, `overlaps nodeSubnet: ${p.name ?? ip} and this host would own the same addresses`);
    if (sameRange) throw bad(`${f}.nodeRange`, `overlaps nodeRange: ${p.name ?? ip} and this host would hand out the same addresses`);
    out.push({ name: p.name, underlayIP: ip, mac: (p.vtepMac ?? deriveVtepMac(o.name, ip)).toLowerCase(), ...(subnet && { subnet }) });
  }
  return out;
}

export function makePlan(o: Overlay, underlay: Underlay, peers: Peer[]): Plan {
  const overhead = encapOverhead(underlay.family);
  const maxMtu = underlay.link.mtu - overhead;
  if (o.mtu > maxMtu) throw bad('mtu', `${o.mtu} does not fit the underlay: ${underlay.link.name} has MTU ${underlay.link.mtu}, minus ${overhead} for VXLAN over IPv${underlay.family} leaves ${maxMtu}`);
  const mtu = o.mtu || maxMtu;
  if (o.group && ipFamily(o.group) !== underlay.family) throw bad('group', `${o.group} is not of the underlay's family (IPv${underlay.family})`);
  if (o.device === o.bridge) throw bad('device', `the vxlan device and the bridge cannot both be called ${o.device}`);
  const mac = o.vtepMac === 'auto' ? deriveVtepMac(o.name, underlay.address) : o.vtepMac;
  const resolved = resolvePeers(o, underlay.address, underlay.family, peers);
  const spec: VxlanSpec = {
    name: o.device,
    vni: o.vni,
    port: o.port,
    local: underlay.address,
    underlayIndex: underlay.link.index,
    underlayName: underlay.link.name,
    learning: o.learning,
    ...(o.group && { group: o.group }),
    mtu,
    mac,
  };
  const firewall: OverlayFirewall = {
    network: o.name,
    vni: o.vni,
    port: o.port,
    underlayFamily: underlay.family,
    peers: resolved.map((p) => ({ ip: p.underlayIP, name: p.name })),
    restrictPort: o.restrictPort,
    allowForward: o.allowForward,
    overlay: subnetText(o.network),
    overlayFamily: o.network.family,
    ...(o.ipMasq && { masqSource: o.nodeSubnet ? subnetText(o.nodeSubnet) : subnetText(o.network) }),
  };
  return {
    overlay: o,
    underlay,
    mtu,
    spec,
    peers: resolved,
    entries: desiredEntries({ mode: o.mode, flood: o.flood }, resolved),
    firewall,
    ...(o.nodeSubnet && { deviceAddr: `${o.nodeSubnet.network}/${o.nodeSubnet.family === 4 ? 32 : 128}` }),
  };
}

/** The plan on this host: the underlay resolved over `nl`, then makePlan. */
export function planOn(nl: Netlink, o: Overlay, underlay: UnderlayRequest, peers: Peer[]): Plan {
  return makePlan(o, underlayOf(nl, underlay), peers);
}
