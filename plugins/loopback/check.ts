// loopback CHECK: `lo` is still up.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { NetConf } from '../../shared/cni/netconf';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';

export function cmdCheck(ctx: Context<NetConf>): void {
  inSandbox(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const lo = nl.linkByName('lo');
      if (!lo?.up) throw new CniError(ErrorCode.Internal, 'loopback interface is down');
    } finally {
      nl.close();
    }
  });
}
