// CHECK: this attachment's entries are there, owned by it, and match its ingress policy.
import { chainedPrev } from '../../shared/cni/skel';
import { forwardCheck } from '../../shared/firewall';
import { backendFor, targetOf, type Ctx } from './targets';

export function cmdCheck(ctx: Ctx): void {
  const t = targetOf(ctx, chainedPrev(ctx));
  forwardCheck(backendFor(ctx, t.ips), t);
}
