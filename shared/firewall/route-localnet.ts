// 127.0.0.1 → hostPort: after DNAT the packet leaves with source 127.0.0.1, which the kernel
// only routes off the host when route_localnet is set on the outgoing interface. Like the
// reference, set it on the interface that routes to the container (IPv4 only: IPv6 has no such
// switch). The route comes from /proc/net/route (main table, longest prefix, lowest metric):
// no netlink round trip and no process.
import fs from 'node:fs';
import { log } from '../cni/log';
import { sysctlEnsure } from '../sys/sysctl';

const u32le = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);
const ipv4ToU32 = (ip: string): number => ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);

/** The outgoing interface for an IPv4 destination, from a /proc/net/route text. */
export function routeInterface(routeTable: string, dst: string): string | undefined {
  const d = ipv4ToU32(dst);
  let best: { iface: string; len: number; metric: number } | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const c = line.trim().split(/\s+/);
    if (c.length < 8) continue;
    // The file prints network-order bytes as a little-endian word: reading it LE gives the
    // address as a number with the first octet on top.
    const dest = u32le(c[1]!);
    const mask = u32le(c[7]!);
    const flags = parseInt(c[3]!, 16);
    if ((flags & 1) === 0) continue; // RTF_UP
    if (((d & mask) >>> 0) !== dest) continue;
    const len = mask.toString(2).replace(/0/g, '').length;
    const metric = Number(c[6]);
    if (!best || len > best.len || (len === best.len && metric < best.metric)) best = { iface: c[0]!, len, metric };
  }
  return best?.iface;
}

export function enableRouteLocalnet(containerIPv4: string): void {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/route', 'utf8');
  } catch (e) {
    log(`cannot read /proc/net/route: ${(e as Error).message}`);
    return;
  }
  const iface = routeInterface(table, containerIPv4);
  if (!iface) {
    log(`no route to ${containerIPv4}: route_localnet not set`);
    return;
  }
  sysctlEnsure(`net/ipv4/conf/${iface}/route_localnet`, '1');
}
