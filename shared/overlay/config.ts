// The overlay (vxlan plugin, vxlan-sync agent, cnitool network create) configuration: keys,
// defaults and every cross-field rule, checked before anything on the host is touched. Errors are
// code 7 and name the field.
import { z } from 'zod';
import { MAC_RE } from '../cni/mac';
import { interfaceNameProblem } from '../cni/names';
import { netConfSchema } from '../cni/netconf';
import { parseSubnet, type Subnet } from './addr';
import { canonicalIp, ipFamily } from '../cni/ip';
import { badField } from './conf-error';
import { checkDelegate, checkIpam } from './config-delegate';
import { checkPeers } from './config-peers';
import { hostShare, type HostShare } from './config-share';
import { defaultBridgeName, defaultDeviceName } from './names';
import type { Peer } from './peers';
import { DEFAULT_STATE_DIR } from './state';
import { storeSchema, type StoreConf } from './store/schema';

const ifName = z.string().refine((n) => !interfaceNameProblem(n), (n) => ({ message: interfaceNameProblem(n) ?? '' }));
const ip = z.string().refine((s) => ipFamily(s) !== undefined, 'must be an IPv4 or IPv6 address');
const cidr = z.string().refine((s) => parseSubnet(s) !== undefined, 'must be a CIDR like 10.244.0.0/16');
const mac = z.string().regex(MAC_RE, 'must be a MAC address like 02:00:0a:f4:02:00');
const range = z.object({ rangeStart: ip, rangeEnd: ip }).strict();

const peerSchema = z
  .object({
    name: z.string().optional(),
    underlayIP: ip,
    vtepMac: mac.optional(),
    subnet: cidr.optional(),
    nodeRange: range.optional(),
  })
  .strict();

export const vxlanSchema = netConfSchema.extend({
  mode: z.enum(['l2', 'l3'], { errorMap: () => ({ message: 'must be "l2" or "l3"' }) }),
  vni: z.number().int().min(1).max(16777215),
  port: z.number().int().min(1).max(65535).default(4789),
  underlay: z.object({ interface: ifName.optional(), address: ip.optional() }).strict().default({}),
  mtu: z.number().int().refine((m) => m === 0 || (m >= 68 && m <= 65535), 'must be 0 (derived) or 68-65535').default(0),
  vtepMac: z.union([z.literal('auto'), mac]).default('auto'),
  device: ifName.optional(),
  bridge: ifName.optional(),
  learning: z.boolean().optional(),
  flood: z.enum(['headend', 'multicast']).optional(),
  group: ip.optional(),
  network: cidr,
  nodeSubnet: cidr.optional(),
  nodeRange: range.optional(),
  peers: z.array(peerSchema).default([]),
  /** Hosts meet in a store (etcd): peers and, without nodeSubnet/nodeRange, claimed shares. */
  store: storeSchema.optional(),
  /** l3 with a store: the size of the subnet each host claims (default /24, IPv6 /64). */
  subnetLen: z.number().int().optional(),
  /** l2 with a store: the size of the block of the shared subnet each host claims. */
  nodeBlockLen: z.number().int().optional(),
  ipMasq: z.boolean().default(false),
  firewall: z
    .object({ restrictPortToPeers: z.boolean().default(true), allowForward: z.boolean().default(true) })
    .strict()
    .default({}),
  delegate: z.record(z.unknown()).default({}),
  stateDir: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').default(DEFAULT_STATE_DIR),
  removeWhenIdle: z.boolean().default(false),
});

export type VxlanConf = z.infer<typeof vxlanSchema>;

/** The config after cross-field validation: defaults resolved, addresses parsed. */
export interface Overlay extends HostShare {
  name: string;
  mode: 'l2' | 'l3';
  vni: number;
  port: number;
  group?: string;
  learning: boolean;
  network: Subnet;
  store?: StoreConf;
  device: string;
  bridge: string;
  vtepMac: string;
  mtu: number;
  peers: Peer[];
  ipMasq: boolean;
  restrictPort: boolean;
  allowForward: boolean;
  stateDir: string;
  removeWhenIdle: boolean;
}

/**
 * Cross-field validation, by concern: the network, this host's share (config-share.ts), the peer
 * list (config-peers.ts), the bridge delegate and IPAM (config-delegate.ts).
 */
export function validateVxlanConf(c: VxlanConf): Overlay {
  const network = parseSubnet(c.network, true);
  if (!network) throw badField('network', `${c.network} is not a subnet on its own boundary (host bits must be zero)`);
  const share = hostShare(c, network);
  checkPeers(c, network, share);
  checkDelegate(c);
  checkIpam(c);
  return {
    name: c.name,
    mode: c.mode,
    vni: c.vni,
    port: c.port,
    flood: share.flood,
    group: c.group ? canonicalIp(c.group) : undefined,
    learning: c.learning ?? c.mode === 'l2',
    network,
    nodeSubnet: share.nodeSubnet,
    nodeRange: share.nodeRange,
    ...(c.store && { store: c.store }),
    ...(share.subnetLen !== undefined && { subnetLen: share.subnetLen }),
    ...(share.nodeBlockLen !== undefined && { nodeBlockLen: share.nodeBlockLen }),
    device: c.device ?? defaultDeviceName(c.name),
    bridge: c.bridge ?? defaultBridgeName(c.name),
    vtepMac: c.vtepMac.toLowerCase(),
    mtu: c.mtu,
    peers: c.peers,
    ipMasq: c.ipMasq,
    restrictPort: c.firewall.restrictPortToPeers,
    allowForward: c.firewall.allowForward,
    stateDir: c.stateDir,
    removeWhenIdle: c.removeWhenIdle,
  };
}
