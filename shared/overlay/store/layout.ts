// What the hosts of one network keep in etcd, under the network's prefix:
//   config                     network-wide settings; created by the first host, never leased
//   nodes/<underlayIP>         one host: VTEP address and MAC, its share, its MTU (leased)
//   subnets/<net>-<len>        l3: who owns this node subnet (leased, created only if absent)
//   blocks/<net>-<len>         l2: who owns this block of the shared subnet (same)
// Values are JSON. A host's registration and claims share one lease, so a host that stops
// renewing disappears from every other host's view at once.
import { z } from 'zod';
import { parseSubnet } from '../addr';
import { canonicalIp } from '../../cni/ip';
import type { Peer } from '../peers';
import { MAC_RE } from '../../cni/mac';

export const CONFIG_KEY = 'config';
export const NODES = 'nodes/';
export const claimsDir = (kind: ClaimKind): string => (kind === 'subnet' ? 'subnets/' : 'blocks/');
export const nodeKey = (underlayIP: string): string => `${NODES}${canonicalIp(underlayIP) ?? underlayIP}`;

export type ClaimKind = 'subnet' | 'block';

/** The settings every host of the network must share. */
export interface NetworkRecord {
  mode: 'l2' | 'l3';
  vni: number;
  port: number;
  mtu: number;
  network: string;
  subnetLen?: number;
  nodeBlockLen?: number;
}

export interface NodeRecord {
  underlayIP: string;
  vtepMac: string;
  mtu: number;
  /** l3: the node subnet. */
  subnet?: string;
  /** l2: the block claimed from the store, if any. */
  block?: string;
  /** l2: the addresses this host hands out. */
  nodeRange?: { rangeStart: string; rangeEnd: string };
  /** The host's name, for humans. */
  hostname?: string;
}

export interface ClaimRecord {
  node: string;
}

const ip = z.string().refine((s) => canonicalIp(s) !== undefined);
const cidr = z.string().refine((s) => parseSubnet(s, true) !== undefined);
const nodeRecordSchema = z.object({
  underlayIP: ip,
  vtepMac: z.string().regex(MAC_RE),
  mtu: z.number().int(),
  subnet: cidr.optional(),
  block: cidr.optional(),
  nodeRange: z.object({ rangeStart: ip, rangeEnd: ip }).optional(),
  hostname: z.string().optional(),
});

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A node record, or undefined when someone wrote garbage there (it is then not a peer). */
export function parseNodeRecord(text: string): NodeRecord | undefined {
  const r = nodeRecordSchema.safeParse(json(text));
  return r.success ? r.data : undefined;
}

export function parseClaim(text: string): ClaimRecord | undefined {
  const v = json(text) as Partial<ClaimRecord> | undefined;
  return v && typeof v.node === 'string' ? { node: v.node } : undefined;
}

export function parseNetworkRecord(text: string): Partial<NetworkRecord> | undefined {
  const v = json(text);
  return v && typeof v === 'object' ? (v as Partial<NetworkRecord>) : undefined;
}

/** The config fields whose local value differs from the network's record. */
export function networkMismatch(local: NetworkRecord, stored: Partial<NetworkRecord>): { field: keyof NetworkRecord; local: unknown; stored: unknown }[] {
  const fields: (keyof NetworkRecord)[] = ['mode', 'vni', 'port', 'mtu', 'network', 'subnetLen', 'nodeBlockLen'];
  return fields.filter((f) => local[f] !== stored[f]).map((f) => ({ field: f, local: local[f], stored: stored[f] }));
}

export function nodeToPeer(r: NodeRecord): Peer {
  return {
    name: r.hostname ? `${r.hostname} (${r.underlayIP})` : r.underlayIP,
    underlayIP: r.underlayIP,
    vtepMac: r.vtepMac,
    ...(r.subnet && { subnet: r.subnet }),
    ...(r.nodeRange && { nodeRange: r.nodeRange }),
  };
}
