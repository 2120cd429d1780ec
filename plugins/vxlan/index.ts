// vxlan: the overlay network, containers of several hosts in one network across the underlay.
// l2 (Docker overlay): one subnet spans the hosts, the vxlan device is a port of each host's
//   bridge, broadcast by head-end replication or a multicast group, each host allocating from
//   its own nodeRange.
// l3 (flannel vxlan): each host owns a nodeSubnet; per peer one neighbour, one FDB entry and one
//   route on a non-learning device; the bridge is the gateway.
// The attachment itself is the bridge plugin's, run in-process. Peers come from a PeerSource
// (static config today).
import { runPlugin, type Context, type Plugin } from '../../shared/cni/skel';
import { StaticPeerSource, type PeerSource } from '../../shared/overlay/peers';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { vxlanSchema, type VxlanConf } from './config';
import { cmdDel } from './del';
import { cmdGc } from './gc';
import { cmdStatus } from './status';

/** The peer set for this config; a store-backed source slots in here. */
export function peerSource(ctx: Context<VxlanConf>): PeerSource {
  return new StaticPeerSource(ctx.conf.peers);
}

export const vxlan: Plugin<VxlanConf> = {
  name: 'vxlan',
  about: 'tscni vxlan: an overlay network across hosts (l2 like Docker overlay, l3 like flannel)',
  versions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  schema: vxlanSchema,
  add: (ctx) => cmdAdd(ctx, peerSource(ctx)),
  del: (ctx) => cmdDel(ctx),
  check: (ctx) => cmdCheck(ctx, peerSource(ctx)),
  status: (ctx) => cmdStatus(ctx, peerSource(ctx)),
  gc: (ctx, valid) => cmdGc(ctx, valid, peerSource(ctx)),
};

export function main(): Promise<number> {
  return runPlugin(vxlan);
}
