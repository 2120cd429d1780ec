// vxlan: the overlay network, containers of several hosts in one network across the underlay.
// l2 (Docker overlay): one subnet spans the hosts, the vxlan device is a port of each host's
//   bridge, broadcast by head-end replication or a multicast group, each host allocating from
//   its own nodeRange.
// l3 (flannel vxlan): each host owns a nodeSubnet; per peer one neighbour, one FDB entry and one
//   route on a non-learning device; the bridge is the gateway.
// The attachment itself is the bridge plugin's (shared/bridge/), run in-process. Peers come from
// a PeerSource: the static "peers" list, plus the hosts registered in the "store" (etcd) when one
// is set; with a store, a host without nodeSubnet/nodeRange claims its share there (see
// shared/overlay/store-view.ts).
import { runPlugin, type Context, type Plugin } from '../../shared/cni/skel';
import type { PeerSource } from '../../shared/overlay/peers';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { vxlanSchema, type VxlanConf } from '../../shared/overlay/config';
import { cmdDel } from './del';
import { cmdGc } from './gc';
import { cmdStatus } from './status';
import { storeView, type StoreVerb } from '../../shared/overlay/store-view';

/** The peer set for this call, and the context with this host's share filled in. */
async function peerSource(ctx: Context<VxlanConf>, verb: StoreVerb): Promise<{ ctx: Context<VxlanConf>; peers: PeerSource }> {
  const v = await storeView(ctx.conf, verb);
  return { ctx: v.conf === ctx.conf ? ctx : { ...ctx, conf: v.conf }, peers: v.peers };
}

export const vxlan: Plugin<VxlanConf> = {
  name: 'vxlan',
  about: 'tscni vxlan: an overlay network across hosts (l2 like Docker overlay, l3 like flannel)',
  versions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  schema: vxlanSchema,
  add: async (ctx) => {
    const s = await peerSource(ctx, 'ADD');
    return cmdAdd(s.ctx, s.peers);
  },
  del: async (ctx) => cmdDel((await peerSource(ctx, 'DEL')).ctx),
  check: async (ctx) => {
    const s = await peerSource(ctx, 'CHECK');
    return cmdCheck(s.ctx, s.peers);
  },
  status: async (ctx) => {
    const s = await peerSource(ctx, 'STATUS');
    return cmdStatus(s.ctx, s.peers);
  },
  gc: async (ctx, valid) => {
    const s = await peerSource(ctx, 'GC');
    return cmdGc(s.ctx, valid, s.peers);
  },
};

export function main(): Promise<number> {
  return runPlugin(vxlan);
}
