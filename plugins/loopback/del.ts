// loopback DEL: `lo` down again; a netns that is already gone is nothing to do.
import type { NetConf } from '../../shared/cni/netconf';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandboxIfPresent } from '../../shared/netns/sandbox';

export function cmdDel(ctx: Context<NetConf>): void {
  inSandboxIfPresent(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const lo = nl.linkByName('lo');
      if (lo) nl.linkSetUp(lo.index, false);
    } finally {
      nl.close();
    }
  });
}
