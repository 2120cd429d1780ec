// What the firewall acts on, read from prevResult the way the reference does: every address of
// the result; the bridge is the first interface outside any sandbox (bridge lists it first).
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Result } from '../../shared/cni/result';

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
