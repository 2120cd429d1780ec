// What the firewall acts on, read from prevResult the way the reference does: every address of
// the result; the bridge is the first interface outside any sandbox (bridge lists it first).
// Also the pieces every verb shares: the owner and the backend for the call.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Owner } from '../../shared/cni/owner';
import type { Result } from '../../shared/cni/result';
import type { Context } from '../../shared/cni/skel';
import { forwardFamilies, resolveForwardBackend, type Backend, type ForwardTarget } from '../../shared/firewall';
import { settingsOf, type FirewallConf } from '../../shared/conf/firewall';

export type Ctx = Context<FirewallConf>;

export const resultIps = (prev: Result): string[] => (prev.ips ?? []).map((ip) => ip.address);

export function hostBridge(prev: Result): string | undefined {
  return prev.interfaces?.find((i) => !i.sandbox && i.name)?.name;
}

/** same-bridge / isolated act on the bridge: without one in prevResult they cannot work. */
export function requireBridge(prev: Result, policy: string): string {
  const br = hostBridge(prev);
  if (!br) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `field "ingressPolicy": "${policy}" needs the host bridge in prevResult.interfaces`,
      'chain the firewall plugin after the bridge plugin',
    );
  }
  return br;
}

/** The attachment every entry of this call belongs to. */
export const ownerOf = (ctx: Ctx): Owner => ({ network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname });

export function backendFor(ctx: Ctx, ips: string[] | undefined): Backend {
  return resolveForwardBackend(settingsOf(ctx.conf).backend, forwardFamilies(ips));
}

/** What ADD installs and CHECK expects for this attachment. */
export function targetOf(ctx: Ctx, prev: Result): ForwardTarget {
  const s = settingsOf(ctx.conf);
  const bridge = s.ingressPolicy === 'open' ? hostBridge(prev) : requireBridge(prev, s.ingressPolicy);
  return { ...ownerOf(ctx), ips: resultIps(prev), ingressPolicy: s.ingressPolicy, bridge, adminChain: s.adminChain };
}
