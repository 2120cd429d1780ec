// bridge STATUS: the masquerade backend is usable (when ipMasq is on) and IPAM is ready.
import { CniError, ErrorCode } from '../cni/error';
import type { Context } from '../cni/skel';
import { resolveBackend } from '../firewall';
import { delegateIpam } from '../ipam/delegate';
import type { BridgeConf } from './config';

export async function bridgeStatus(ctx: Context<BridgeConf>): Promise<void> {
  if (ctx.conf.ipMasq) {
    try {
      resolveBackend(ctx.conf.ipMasqBackend, 'ipMasqBackend');
    } catch (e) {
      throw new CniError(ErrorCode.NotAvailable, `masquerade backend unusable: ${(e as Error).message}`);
    }
  }
  if (ctx.conf.ipam?.type) await delegateIpam('STATUS', ctx, ctx.conf.ipam.type);
}
