// tuning GC: this network's saved originals of attachments not in the valid list are dropped
// (their interface is gone with its netns; nothing is left to restore), under the DEL's lock.
import type { Attachment } from '../../shared/cni/owner';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import type { TuningConf } from '../../shared/conf/tuning';
import { gcStates, STATE_LOCK } from './saved-state';
import { withHostLock } from '../../shared/sys/host-lock';

export function cmdGc(ctx: Context<TuningConf>, valid: Attachment[]): void {
  try {
    withHostLock(STATE_LOCK, () => gcStates(ctx.conf.dataDir, ctx.conf.name, valid));
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `GC of ${ctx.conf.dataDir} failed`, (e as Error).message);
  }
}
