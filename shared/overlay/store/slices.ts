// A network cut into equal slices (l3 node subnets, l2 address blocks): which slices exist, which
// are free, and which addresses of a block host-local may hand out. Pure; BigInt for v4 and v6.
import type { Subnet } from '../addr';
import { formatIp } from '../../cni/ip';

const bits = (s: Subnet): number => (s.family === 4 ? 32 : 128);

export function sliceCount(network: Subnet, len: number): bigint {
  return 1n << BigInt(len - network.prefix);
}

export function sliceAt(network: Subnet, len: number, i: bigint): Subnet {
  const size = 1n << BigInt(bits(network) - len);
  const first = network.first + i * size;
  return { family: network.family, network: formatIp({ family: network.family, value: first }), prefix: len, first, last: first + size - 1n };
}

/** "10.244.1.0/24" as a key segment (no "/"), and back. */
export const sliceKey = (s: Subnet): string => `${s.network}-${s.prefix}`;
export const keyToCidr = (k: string): string => k.replace(/-(\d+)$/, '/$1');

export interface FreeOptions {
  /** flannel leaves the first subnet alone (it holds the network address). */
  skipFirst: boolean;
  /** How many free slices to collect before choosing one. */
  choices: number;
}

/**
 * Free slices from the low end, at most `choices`. The loop visits at most taken + choices
 * slices, so a huge IPv6 space costs no more than a small one.
 */
export function freeSlices(network: Subnet, len: number, taken: ReadonlySet<string>, o: FreeOptions): Subnet[] {
  const count = sliceCount(network, len);
  const out: Subnet[] = [];
  for (let i = o.skipFirst ? 1n : 0n; i < count && out.length < o.choices; i++) {
    const s = sliceAt(network, len, i);
    if (!taken.has(sliceKey(s))) out.push(s);
  }
  return out;
}

/**
 * The addresses of a block host-local may hand out: the shared subnet's network address (and
 * the v4 broadcast) belong to nobody.
 */
export function blockRange(network: Subnet, block: Subnet): { rangeStart: string; rangeEnd: string } | undefined {
  let first = block.first;
  let last = block.last;
  if (first === network.first) first += 1n;
  if (network.family === 4 && last === network.last) last -= 1n;
  if (first > last) return undefined;
  return { rangeStart: formatIp({ family: network.family, value: first }), rangeEnd: formatIp({ family: network.family, value: last }) };
}
