// Interface names derived from a network name. The kernel allows 15 bytes; longer names keep a
// readable head and end in a short hash so two long network names cannot collide.
import { sha256Hex } from '../sys/sha256';

const IFNAME_MAX = 15;

export function derivedIfName(prefix: string, network: string, suffix = ''): string {
  const full = `${prefix}${network}${suffix}`;
  if (Buffer.byteLength(full) <= IFNAME_MAX) return full;
  const hash = sha256Hex(network).slice(0, 5);
  const room = IFNAME_MAX - prefix.length - suffix.length - hash.length - 1;
  return `${prefix}${network.slice(0, Math.max(0, room))}-${hash}${suffix}`;
}

/** Default vxlan device name: vx-<network>. */
export const defaultDeviceName = (network: string): string => derivedIfName('vx-', network);

/** Default bridge name: <network>0, like docker0/cni0. */
export const defaultBridgeName = (network: string): string => derivedIfName('', network, '0');
