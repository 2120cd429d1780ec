// vxlan STATUS: 50 (not available) when an ADD could not work: the underlay is missing, down or
// without its address, another device holds our VNI on our port, or our device exists but is
// unhealthy (wrong attributes, down). A device not created yet is fine: ADD creates it.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { deviceDrift, findVniHolder } from '../../shared/overlay/device';
import type { PeerSource } from '../../shared/overlay/peers';
import { bridgeStatus } from '../../shared/bridge/status';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from './delegate';
import { planOn } from '../../shared/overlay/plan';

const unavailable = (msg: string): never => {
  throw new CniError(ErrorCode.NotAvailable, `vxlan network unavailable: ${msg}`);
};

export async function cmdStatus(ctx: Context<VxlanConf>, peers: PeerSource): Promise<void> {
  const o = validateVxlanConf(ctx.conf);
  const peerList = await peers.list().catch((e) => unavailable(`peer list from ${peers.description}: ${(e as Error).message}`));
  const nl = Netlink.open();
  let mtu: number;
  try {
    let plan;
    try {
      plan = planOn(nl, o, ctx.conf.underlay, peerList);
    } catch (e) {
      return unavailable((e as Error).message);
    }
    mtu = plan.mtu;
    const u = plan.underlay.link;
    if (!u.up || u.operstate === 'down' || u.operstate === 'lowerlayerdown') unavailable(`underlay interface ${u.name} is down`);
    const holder = findVniHolder(nl, plan.spec);
    if (holder) unavailable(`VNI ${o.vni} on port ${o.port} is held by another device, ${holder.name}`);
    const dev = nl.linkByName(o.device);
    if (dev) {
      const problems = deviceDrift(dev, plan.spec);
      if (problems.length) unavailable(problems.join('; '));
    }
  } finally {
    nl.close();
  }
  await bridgeStatus(bridgeContext(ctx, renderBridgeConf(ctx, o, mtu)));
}
