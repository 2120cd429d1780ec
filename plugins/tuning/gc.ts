// tuning GC: saved originals of attachments not in the valid list are dropped (their interface
// is gone with its netns; nothing is left to restore).
import type { Attachment } from '../../shared/cni/netconf';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import type { TuningConf } from './config';
import { gcStates } from './saved-state';

export function cmdGc(ctx: Context<TuningConf>, valid: Attachment[]): void {
  try {
    gcStates(ctx.conf.dataDir, valid);
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `GC of ${ctx.conf.dataDir} failed`, (e as Error).message);
  }
}
