// macvlan STATUS: the master exists on the host (when it lives there) and IPAM is ready.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { delegateIpam } from '../../shared/ipam/delegate';
import { Netlink } from '../../shared/netlink';
import type { MacvlanConf } from '../../shared/conf/macvlan';
import { findMaster } from './master';

export async function cmdStatus(ctx: Context<MacvlanConf>): Promise<void> {
  // STATUS has no container netns: a master that lives in containers cannot be checked here.
  if (!ctx.conf.linkInContainer) {
    const nl = Netlink.open();
    try {
      findMaster(nl, ctx.conf.master, 'host');
    } catch (e) {
      throw new CniError(ErrorCode.NotAvailable, (e as Error).message);
    } finally {
      nl.close();
    }
  }
  if (ctx.conf.ipam?.type) await delegateIpam('STATUS', ctx, ctx.conf.ipam.type);
}
