// CHECK: this attachment's entries are there, owned by it, and match its ingress policy.
import { forwardCheck } from '../../shared/firewall';
import { backendFor, requirePrev, targetOf, type Ctx } from './targets';

export function cmdCheck(ctx: Ctx): void {
  const t = targetOf(ctx, requirePrev(ctx));
  forwardCheck(backendFor(ctx, t.ips), t);
}
