// Default subnets: when `network create` gets no --subnet, it takes the first /24 of Docker's
// default pools (172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16) that overlaps nothing in
// use; with --ipv6, the first /64 of fd42:7473:636e::/48 (ULA, "tscn" in hex). Docker users know
// these ranges and expect them; the host's own routes and addresses are checked, so a docker0 on
// 172.17.0.0/16 or a LAN on 192.168.1.0/24 is skipped, not shadowed. Pure.
import { parseSubnet, type Subnet } from '../../../shared/overlay/addr';
import { formatIp, type Family } from '../../../shared/cni/ip';
import { overlaps } from './subnets';

export interface Pool {
  base: string;
  /** The size of each subnet taken from it. */
  size: number;
}

export const POOLS_V4: readonly Pool[] = [...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 24 })), { base: '192.168.0.0/16', size: 24 }];
export const POOLS_V6: readonly Pool[] = [{ base: 'fd42:7473:636e::/48', size: 64 }];

/** Something a new subnet must not overlap: another network's subnet, a host route or address. */
export interface Occupied {
  subnet: Subnet;
  /** How the refusal names it: `network "web" (10.1.0.0/24)`, `host route 10.0.0.0/8 dev eth0`. */
  what: string;
}

export function firstOverlap(s: Subnet, used: readonly Occupied[]): Occupied | undefined {
  return used.find((u) => overlaps(u.subnet, s));
}

/** The first free subnet of the family's pools, or undefined when all are taken. */
export function pickFromPools(family: Family, used: readonly Occupied[], pools: readonly Pool[] = family === 4 ? POOLS_V4 : POOLS_V6): Subnet | undefined {
  const relevant = used.filter((u) => u.subnet.family === family);
  for (const p of pools) {
    const base = parseSubnet(p.base, true)!;
    const step = 1n << BigInt((family === 4 ? 32 : 128) - p.size);
    for (let first = base.first; first + step - 1n <= base.last; first += step) {
      const cand = parseSubnet(`${formatIp({ family, value: first })}/${p.size}`, true)!;
      const hit = firstOverlap(cand, relevant);
      // Skip past the whole occupied block at once (a /16 route would otherwise cost 256 steps).
      if (!hit) return cand;
      const next = ((hit.subnet.last + step) / step) * step;
      if (next > first + step) first = next - step;
    }
  }
  return undefined;
}

export const poolsText = (family: Family): string => (family === 4 ? POOLS_V4 : POOLS_V6).map((p) => `${p.base} in /${p.size}s`).join(', ');
