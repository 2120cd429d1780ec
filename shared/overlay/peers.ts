// Where the overlay learns about other hosts. CNI has no discovery of its own, so the plugin
// programs the kernel from a peer set; today that set comes from static config, and a store
// (etcd) plugs in behind the same interface later.

export interface PeerRange {
  rangeStart: string;
  rangeEnd: string;
}

export interface Peer {
  /** For messages and comments only. */
  name?: string;
  /** The peer's VTEP address on the underlay. */
  underlayIP: string;
  /** l3: the peer's VTEP MAC (derived from network + underlayIP when absent). */
  vtepMac?: string;
  /** l3: the peer's node subnet. */
  subnet?: string;
  /** l2: the peer's slice of the shared subnet (used to detect overlaps). */
  nodeRange?: PeerRange;
}

export interface PeerSource {
  /** A short description for error messages ("static config", "etcd https://…"). */
  readonly description: string;
  /** Every host of the network, this one possibly included (callers drop themselves). */
  list(): Promise<Peer[]>;
}

export class StaticPeerSource implements PeerSource {
  readonly description = 'static config (field "peers")';
  constructor(private readonly peers: readonly Peer[]) {}
  async list(): Promise<Peer[]> {
    return this.peers.map((p) => ({ ...p }));
  }
}
