// portmap CHECK: every mapping of prevResult's container is published, owned by this attachment.
import { chainedPrev } from '../../shared/cni/skel';
import { portmapCheck } from '../../shared/firewall';
import { settingsOf } from '../../shared/conf/portmap';
import { targetOf, type Ctx } from './target';

export function cmdCheck(ctx: Ctx): void {
  portmapCheck(settingsOf(ctx.conf).backend, targetOf(ctx, chainedPrev(ctx)));
}
