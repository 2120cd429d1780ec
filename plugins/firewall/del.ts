// DEL: removes what this attachment (network, containerID, ifname) owns and nothing else. The
// entries are found by their owner, not by prevResult's addresses: a stale DEL whose addresses
// now belong to another container removes nothing of that container's.
import { forwardDel } from '../../shared/firewall';
import { settingsOf } from '../../shared/conf/firewall';
import { backendFor, ownerOf, resultIps, type Ctx } from './targets';

export function cmdDel(ctx: Ctx): void {
  settingsOf(ctx.conf);
  // The addresses only pick the backend (auto looks at the families' FORWARD policies).
  const ips = ctx.prevResult ? resultIps(ctx.prevResult) : undefined;
  forwardDel(backendFor(ctx, ips), { ...ownerOf(ctx), ips });
}
