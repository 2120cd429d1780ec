// dnsname CHECK (prevResult required, see shared/cni/skel.ts): the network's server runs and answers the container's names with its addresses.
import type { Context } from '../../shared/cni/skel';
import { verifyServing } from '../../shared/dns';
import type { DnsnameConf } from '../../shared/conf/dnsname';
import { attachmentOf, filesOf } from './network';

export async function cmdCheck(ctx: Context<DnsnameConf>): Promise<void> {
  await verifyServing(filesOf(ctx), attachmentOf(ctx));
}
