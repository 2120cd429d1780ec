// What host-local has handed out for a network, read from its on-disk store (one file per IP
// named after it, holding "<containerID>\r\n<ifname>"), for `network inspect`. Read-only: the
// allocator owns the store and its lock.
import fs from 'node:fs';
import path from 'node:path';
import type { NetworkList } from './conf-loader';
import { parseIp } from '../cni/ip';

export const HOST_LOCAL_DEFAULT_DATA_DIR = '/var/lib/cni/networks';

export interface Lease {
  ip: string;
  containerID: string;
  ifname?: string;
  dataDir: string;
}

function ipamOf(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const ipam = json.ipam;
  return typeof ipam === 'object' && ipam !== null && !Array.isArray(ipam) ? (ipam as Record<string, unknown>) : undefined;
}

/** The host-local data directories the list's plugins use. */
export function hostLocalDataDirs(list: NetworkList): string[] {
  const dirs = new Set<string>();
  for (const p of list.plugins) {
    const ipam = ipamOf(p.json);
    if (ipam?.type !== 'host-local') continue;
    dirs.add(typeof ipam.dataDir === 'string' && ipam.dataDir ? ipam.dataDir : HOST_LOCAL_DEFAULT_DATA_DIR);
  }
  return [...dirs];
}

/** The subnets the list's IPAM sections declare (legacy `subnet` and every `ranges` entry). */
export function ipamSubnets(list: NetworkList): string[] {
  const out: string[] = [];
  for (const p of list.plugins) {
    const ipam = ipamOf(p.json);
    if (!ipam) continue;
    if (typeof ipam.subnet === 'string') out.push(ipam.subnet);
    if (Array.isArray(ipam.ranges)) {
      for (const set of ipam.ranges) {
        if (!Array.isArray(set)) continue;
        for (const r of set) if (r && typeof r.subnet === 'string') out.push(r.subnet);
      }
    }
  }
  return [...new Set(out)];
}

export function readLeases(dataDir: string, network: string): Lease[] {
  const dir = path.join(dataDir, network);
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: Lease[] = [];
  for (const name of names) {
    if (!parseIp(name)) continue; // lock, last_reserved_ip.N
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const [containerID, ifname] = text.split('\r\n');
    out.push({ ip: name, containerID: (containerID ?? '').trim(), ...(ifname !== undefined ? { ifname: ifname.trim() } : {}), dataDir });
  }
  return out;
}
