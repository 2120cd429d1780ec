// The vxlan plugin's side of the store: before a verb runs, this host joins the network in etcd
// (network record checked, lease renewed, share claimed, node registered) and the verb gets the
// config with this host's share filled in plus the peers read from the store. etcd is only ever
// called here, outside any namespace switch and before the kernel work, which stays synchronous.
//   ADD     store unreachable → code 11 (no lease, no share: nothing may be handed out)
//   CHECK   store unreachable → code 11, nothing changed
//   STATUS  store unreachable, or any other reason the join fails → 50 (through the peer source)
//   GC      store unreachable → IPAM GC still runs; peers are not touched (reported at the end)
//   DEL     never talks to the store: the share comes from the local cache
import { CniError, ErrorCode } from '../cni/error';
import { Netlink } from '../netlink';
import { parseSubnet, subnetText, type Subnet } from './addr';
import { canonicalIp, rangeWithin } from '../cni/ip';
import { StaticPeerSource, type Peer, type PeerSource } from './peers';
import { loadMembership } from './store/cache';
import { openStore, StoreUnavailableError, type StoreHandle } from './store/etcd';
import type { NetworkRecord } from './store/layout';
import { joinNetwork, type Joined, type ShareRequest } from './store/membership';
import { blockRange, sliceAt } from './store/slices';
import { encapOverhead } from './underlay';
import { deriveVtepMac } from './vtep-mac';
import { validateVxlanConf, type Overlay, type VxlanConf } from './config';
import { underlayOf } from './plan';

export type StoreVerb = 'ADD' | 'CHECK' | 'STATUS' | 'GC' | 'DEL' | 'SYNC';

export interface StoreView {
  /** The config with this host's share (nodeSubnet / nodeRange) filled in. */
  conf: VxlanConf;
  peers: PeerSource;
  joined?: Joined;
}

/** What this host announces: its VTEP address and MAC, and the overlay MTU it will use. */
export function localVtep(conf: VxlanConf, o: Overlay): { underlayIP: string; vtepMac: string; mtu: number } {
  const nl = Netlink.open();
  try {
    const u = underlayOf(nl, conf.underlay);
    return {
      underlayIP: u.address,
      vtepMac: o.vtepMac === 'auto' ? deriveVtepMac(o.name, u.address) : o.vtepMac,
      mtu: o.mtu || u.link.mtu - encapOverhead(u.family),
    };
  } finally {
    nl.close();
  }
}

export function networkRecord(o: Overlay, mtu: number): NetworkRecord {
  return {
    mode: o.mode,
    vni: o.vni,
    port: o.port,
    mtu,
    network: subnetText(o.network),
    ...(o.subnetLen !== undefined && { subnetLen: o.subnetLen }),
    ...(o.nodeBlockLen !== undefined && { nodeBlockLen: o.nodeBlockLen }),
  };
}

function shareRequest(o: Overlay): ShareRequest {
  if (o.mode === 'l3') return { kind: 'subnet', network: o.network, len: o.subnetLen!, ...(o.nodeSubnet && { fixed: o.nodeSubnet }), field: o.nodeSubnet ? 'nodeSubnet' : 'subnetLen' };
  if (o.nodeRange) return { kind: 'range', nodeRange: { rangeStart: o.nodeRange.rangeStart, rangeEnd: o.nodeRange.rangeEnd } };
  return { kind: 'block', network: o.network, len: o.nodeBlockLen!, field: 'nodeBlockLen' };
}

/** The config as a verb sees it once the share is known. */
function withShare(conf: VxlanConf, o: Overlay, share: { subnet?: string; nodeRange?: { rangeStart: string; rangeEnd: string } }): VxlanConf {
  if (o.mode === 'l3') return share.subnet ? { ...conf, nodeSubnet: share.subnet } : conf;
  if (!share.nodeRange || conf.nodeRange) return conf;
  const { nodeBlockLen: _drop, ...rest } = conf;
  void _drop;
  return { ...rest, nodeRange: share.nodeRange };
}

/**
 * The share remembered in the local cache; without one, the first slice stands in (DEL only
 * needs a well-formed config: host-local releases by container id).
 */
export function cachedConf(conf: VxlanConf, o: Overlay): VxlanConf {
  if ((o.mode === 'l3' && o.nodeSubnet) || (o.mode === 'l2' && o.nodeRange)) return conf;
  const len = o.mode === 'l3' ? o.subnetLen! : o.nodeBlockLen!;
  const cached = loadMembership(o.stateDir, o.name)?.share;
  const slice = sliceAt(o.network, len, o.mode === 'l3' ? 1n : 0n);
  if (o.mode === 'l3') return withShare(conf, o, { subnet: cached ?? subnetText(slice) });
  const block = (cached && validateBlock(cached, o)) || slice;
  return withShare(conf, o, { nodeRange: blockRange(o.network, block) });
}

function validateBlock(cidr: string, o: Overlay): Subnet | undefined {
  const b = parseSubnet(cidr, true);
  return b && b.prefix === o.nodeBlockLen && rangeWithin(b, o.network) ? b : undefined;
}

/** Static peers and the store's, one entry per underlay address (the static one wins). */
export function mergePeers(staticPeers: readonly Peer[], stored: readonly Peer[]): Peer[] {
  const seen = new Set(staticPeers.map((p) => canonicalIp(p.underlayIP)));
  return [...staticPeers.map((p) => ({ ...p })), ...stored.filter((p) => !seen.has(canonicalIp(p.underlayIP)))];
}

class UnavailablePeerSource implements PeerSource {
  constructor(
    readonly description: string,
    private readonly err: Error,
  ) {}
  async list(): Promise<Peer[]> {
    throw this.err;
  }
}

/** Joins the network through an open store connection (the agent keeps one open). */
export async function joinOn(h: StoreHandle, conf: VxlanConf, opts: { choices?: number } = {}): Promise<{ conf: VxlanConf; joined: Joined }> {
  const o = validateVxlanConf(conf);
  const self = localVtep(conf, o);
  const joined = await joinNetwork(h, {
    network: o.name,
    stateDir: o.stateDir,
    leaseTTL: o.store!.leaseTTL,
    record: networkRecord(o, self.mtu),
    self,
    share: shareRequest(o),
    choices: opts.choices,
  });
  return { conf: withShare(conf, o, { subnet: joined.share && o.mode === 'l3' ? subnetText(joined.share) : undefined, nodeRange: joined.nodeRange }), joined };
}

/** Joins the network in the store for one CNI call: connects, joins, disconnects. */
export async function joinWithConf(conf: VxlanConf, opts: { choices?: number } = {}): Promise<{ conf: VxlanConf; joined: Joined }> {
  const o = validateVxlanConf(conf);
  // Connecting is lazy: underlay problems (in joinOn) surface before any request is sent.
  const h = await openStore(o.store!, o.name);
  try {
    return await joinOn(h, conf, opts);
  } finally {
    h.close();
  }
}

export async function storeView(conf: VxlanConf, verb: StoreVerb): Promise<StoreView> {
  if (!conf.store) return { conf, peers: new StaticPeerSource(conf.peers) };
  const o = validateVxlanConf(conf);
  if (verb === 'DEL') return { conf: cachedConf(conf, o), peers: new StaticPeerSource(conf.peers) };
  const description = `etcd ${o.store!.endpoints.join(',')}`;
  try {
    const { conf: c, joined } = await joinWithConf(conf);
    return { conf: c, peers: new StaticPeerSource(mergePeers(conf.peers, joined.peers)), joined };
  } catch (e) {
    // STATUS reports any reason ADD could not work as "not available" (50).
    if (verb === 'STATUS') return { conf: cachedConf(conf, o), peers: new UnavailablePeerSource(description, e as Error) };
    if (!(e instanceof StoreUnavailableError)) throw e;
    if (verb === 'ADD' || verb === 'CHECK') {
      throw new CniError(ErrorCode.TryAgainLater, `the overlay store is unreachable, so this host cannot renew its lease (field "store.endpoints")`, e.message);
    }
    return { conf: cachedConf(conf, o), peers: new UnavailablePeerSource(description, e) };
  }
}
