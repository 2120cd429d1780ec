// ADD: this attachment's accepts and ingress policy; prevResult passes through unchanged.
import type { Result } from '../../shared/cni/result';
import { chainedPrev } from '../../shared/cni/skel';
import { forwardAdd } from '../../shared/firewall';
import { backendFor, targetOf, type Ctx } from './targets';

export function cmdAdd(ctx: Ctx): Result {
  const prev = chainedPrev(ctx);
  const t = targetOf(ctx, prev);
  forwardAdd(backendFor(ctx, t.ips), t);
  return prev;
}
