// ADD: this attachment's accepts and ingress policy; prevResult passes through unchanged.
import type { Result } from '../../shared/cni/result';
import { forwardAdd } from '../../shared/firewall';
import { backendFor, requirePrev, targetOf, type Ctx } from './targets';

export function cmdAdd(ctx: Ctx): Result {
  const prev = requirePrev(ctx);
  const t = targetOf(ctx, prev);
  forwardAdd(backendFor(ctx, t.ips), t);
  return prev;
}
