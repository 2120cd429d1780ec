// The VTEP MAC must survive restarts and re-creation (flannel#1795): peers program it into their
// neighbour tables. Hashing (network, underlay address) gives the same MAC every time, and lets a
// host compute a peer's MAC without being told, as long as both use "auto".
import { sha256Hex } from '../sys/sha256';

export function deriveVtepMac(network: string, underlayIp: string): string {
  const h = Buffer.from(sha256Hex(`tscni-vxlan\0${network}\0${underlayIp}`), 'hex');
  // Locally administered, unicast: bit 1 of the first octet set, bit 0 clear.
  h[0] = (h[0]! & 0xfc) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
