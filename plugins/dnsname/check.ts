// dnsname CHECK: the network's server runs and answers the container's names with its addresses.
import type { Context } from '../../shared/cni/skel';
import { verifyServing } from '../../shared/dns';
import type { DnsnameConf } from './config';
import { attachmentOf, filesOf } from './network';
import { requirePrev } from './prev-result';

export async function cmdCheck(ctx: Context<DnsnameConf>): Promise<void> {
  requirePrev(ctx.prevResult);
  await verifyServing(filesOf(ctx), attachmentOf(ctx));
}
