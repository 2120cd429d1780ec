// vxlan DEL: detach through the bridge plugin with the config saved at ADD (re-rendered from the
// current config when that is gone), forget the attachment. Succeeds when everything is gone
// already. The shared device stays unless removeWhenIdle says otherwise.
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { loadDelegate, removeDelegate, withNetworkLock } from '../../shared/overlay/state';
import { bridgeDel } from '../../shared/bridge/del';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from './delegate';
import { teardownIfIdle } from '../../shared/overlay/host';

export async function cmdDel(ctx: Context<VxlanConf>): Promise<void> {
  const o = validateVxlanConf(ctx.conf);
  await withNetworkLock(o.stateDir, o.name, async () => {
    const saved = loadDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname);
    const delegate = saved ?? renderBridgeConf(ctx, o, o.mtu);
    await bridgeDel(bridgeContext(ctx, delegate));
    removeDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname);
    if (o.removeWhenIdle) {
      const nl = Netlink.open();
      try {
        teardownIfIdle(nl, { overlay: o });
      } finally {
        nl.close();
      }
    }
  });
}
