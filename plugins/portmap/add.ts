// portmap ADD: publish the mapped host ports to the container; prevResult passes through.
import type { Result } from '../../shared/cni/result';
import { chainedPrev } from '../../shared/cni/skel';
import { portmapAdd } from '../../shared/firewall';
import { settingsOf } from '../../shared/conf/portmap';
import { targetOf, type Ctx } from './target';

export function cmdAdd(ctx: Ctx): Result {
  const prev = chainedPrev(ctx);
  const t = targetOf(ctx, prev);
  if (t.forwards.length) portmapAdd(settingsOf(ctx.conf).backend, t);
  return prev;
}
