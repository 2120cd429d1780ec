// macvlan DEL: best effort and idempotent. The link goes first (its addresses with it), then
// IPAM releases them, so an address is never handed out while still configured.
import type { Context } from '../../shared/cni/skel';
import { delegateIpam } from '../../shared/ipam/delegate';
import { Netlink } from '../../shared/netlink';
import { inSandboxIfPresent } from '../../shared/netns/sandbox';
import type { MacvlanConf } from '../../shared/conf/macvlan';

export async function cmdDel(ctx: Context<MacvlanConf>): Promise<void> {
  inSandboxIfPresent(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const link = nl.linkByName(ctx.env.ifname);
      // Only ours: after a failed ADD the name may belong to an interface someone else made.
      if (link?.kind === 'macvlan') nl.linkDel(link.index);
    } finally {
      nl.close();
    }
  });
  if (ctx.conf.ipam?.type) await delegateIpam('DEL', ctx, ctx.conf.ipam.type);
}
