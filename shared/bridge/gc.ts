// bridge GC: IPAM GC, then the masquerade and macspoofchk entries of attachments not in the valid list. Both run
// even when one fails; the errors are reported together.
import { CniError, ErrorCode } from '../cni/error';
import { toWire, type Attachment } from '../cni/owner';
import type { Context } from '../cni/skel';
import { masqGc, resolveBackend } from '../firewall';
import { macspoofGc } from '../firewall/macspoof';
import { delegateIpam } from '../ipam/delegate';
import type { BridgeConf } from './config';

export async function bridgeGc(ctx: Context<BridgeConf>, valid: Attachment[]): Promise<void> {
  const errors: string[] = [];
  if (ctx.conf.ipam?.type) await delegateIpam('GC', ctx, ctx.conf.ipam.type).catch((e) => errors.push((e as Error).message));
  if (ctx.conf.ipMasq) {
    try {
      masqGc(resolveBackend(ctx.conf.ipMasqBackend, 'ipMasqBackend'), String(ctx.json.name), valid);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (ctx.conf.macspoofchk) {
    try {
      macspoofGc(String(ctx.json.name), valid.map(toWire));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new CniError(ErrorCode.Internal, `GC failed: ${errors.join('; ')}`);
}
