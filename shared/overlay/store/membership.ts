// A host's membership of one overlay network in etcd, as one operation per CNI call:
//   1. the network-wide record agrees with ours (the first host writes it);
//   2. our lease is renewed (or a new one taken);
//   3. our slice is claimed or refreshed (l3 subnet, l2 block), unless the config fixes a range;
//   4. our node record is (re)written on the lease;
//   5. the peers are read.
// leaveNetwork revokes the lease, which takes the node record and the claims with it.
import os from 'node:os';
import { CniError, ErrorCode } from '../../cni/error';
import { parseSubnet, subnetText, type Subnet } from '../addr';
import { rangeWithin } from '../../cni/ip';
import type { Peer } from '../peers';
import { forgetMembership, loadMembership, saveMembership, withStoreLock } from './cache';
import { claimSlice } from './claim';
import { storeCall, type StoreHandle } from './etcd';
import { ensureLease, revokeLease } from './lease';
import { CONFIG_KEY, NODES, networkMismatch, nodeKey, nodeToPeer, parseNetworkRecord, parseNodeRecord, type NetworkRecord, type NodeRecord } from './layout';
import { blockRange } from './slices';

export type ShareRequest =
  | { kind: 'subnet' | 'block'; network: Subnet; len: number; fixed?: Subnet; field: string }
  | { kind: 'range'; nodeRange: { rangeStart: string; rangeEnd: string } };

export interface JoinRequest {
  /** The network name (cache location). */
  network: string;
  stateDir: string;
  leaseTTL: number;
  record: NetworkRecord;
  self: { underlayIP: string; vtepMac: string; mtu: number };
  share: ShareRequest;
  /** Free slices to choose among (1 = always the lowest; tests use it to force races). */
  choices?: number;
}

export interface Joined {
  node: string;
  leaseId: string;
  /** The claimed l3 subnet or l2 block. */
  share?: Subnet;
  /** l2: the addresses this host hands out. */
  nodeRange?: { rangeStart: string; rangeEnd: string };
  peers: Peer[];
}

/** Writes the network record if there is none; refuses (code 7) when ours differs. */
export async function checkNetworkRecord(h: StoreHandle, record: NetworkRecord): Promise<void> {
  const res = await storeCall(h, 'network record', () =>
    h.ns.if(CONFIG_KEY, 'Create', '==', 0).then(h.ns.put(CONFIG_KEY).value(JSON.stringify(record))).else(h.ns.get(CONFIG_KEY)).commit(),
  );
  if (res.succeeded) return;
  const text = res.responses[0]?.response_range?.kvs?.[0]?.value.toString() ?? '';
  const stored = parseNetworkRecord(text);
  if (!stored) throw new CniError(ErrorCode.InvalidNetworkConfig, `the network record ${h.prefix}/${CONFIG_KEY} in etcd is not JSON; fix or delete it`);
  const diff = networkMismatch(record, stored);
  if (diff.length) {
    const what = diff.map((d) => `field "${d.field}": ${JSON.stringify(d.local)} here, ${JSON.stringify(d.stored)} in the network record`).join('; ');
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: every host of the network must agree (${h.prefix}/${CONFIG_KEY} in etcd): ${what}`);
  }
}

export async function listPeers(h: StoreHandle): Promise<Peer[]> {
  const all = await storeCall(h, 'list nodes', () => h.ns.getAll().prefix(NODES).strings());
  return Object.values(all)
    .map(parseNodeRecord)
    .filter((r): r is NodeRecord => r !== undefined)
    .map(nodeToPeer);
}

function cachedSlice(share: string | undefined, network: Subnet, len: number): Subnet | undefined {
  const s = share ? parseSubnet(share, true) : undefined;
  return s && s.prefix === len && rangeWithin(s, network) ? s : undefined;
}

export async function joinNetwork(h: StoreHandle, req: JoinRequest): Promise<Joined> {
  await checkNetworkRecord(h, req.record);
  const node = req.self.underlayIP;
  const joined = await withStoreLock(req.stateDir, req.network, async () => {
    let cached = loadMembership(req.stateDir, req.network);
    if (cached && cached.node !== node) {
      // Our underlay address changed: the old registration must not linger as a peer.
      await revokeLease(h, cached.leaseId).catch(() => undefined);
      cached = undefined;
    }
    const lease = await ensureLease(h, cached?.leaseId, req.leaseTTL);
    let share: Subnet | undefined;
    let nodeRange: { rangeStart: string; rangeEnd: string } | undefined;
    const s = req.share;
    if (s.kind === 'range') {
      nodeRange = s.nodeRange;
    } else {
      share = await claimSlice(h, {
        kind: s.kind,
        network: s.network,
        len: s.len,
        node,
        leaseId: lease.id,
        prefer: s.fixed ?? cachedSlice(cached?.share, s.network, s.len),
        fixed: s.fixed !== undefined,
        choices: req.choices,
        field: s.field,
      });
      if (s.kind === 'block') {
        nodeRange = blockRange(s.network, share);
        if (!nodeRange) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: field "${s.field}": block ${subnetText(share)} has no usable address`);
      }
    }
    const rec: NodeRecord = {
      ...req.self,
      ...(share && (s.kind === 'subnet' ? { subnet: subnetText(share) } : { block: subnetText(share) })),
      ...(nodeRange && { nodeRange }),
      hostname: os.hostname(),
    };
    await storeCall(h, 'register node', () => h.ns.put(nodeKey(node)).value(JSON.stringify(rec)).lease(lease.id).exec());
    saveMembership(req.stateDir, req.network, { node, leaseId: lease.id, ...(share && { share: subnetText(share) }) });
    return { node, leaseId: lease.id, share, nodeRange };
  });
  return { ...joined, peers: await listPeers(h) };
}

/** Leaves the network for good: revokes the lease (node record and claims go with it). */
export async function leaveNetwork(h: StoreHandle, stateDir: string, network: string): Promise<boolean> {
  return withStoreLock(stateDir, network, async () => {
    const m = loadMembership(stateDir, network);
    if (!m) return false;
    await revokeLease(h, m.leaseId);
    await storeCall(h, 'unregister node', () => h.ns.delete().key(nodeKey(m.node)).exec());
    forgetMembership(stateDir, network);
    return true;
  });
}
