// Removing a whole network (`cnitool network rm`), in the order that keeps ownership intact:
//   1. its endpoints: cached attachments and host-local leases. Any → refused, unless forced:
//      then each cached attachment gets a DEL with its cached netns, args and capability args;
//   2. GC with an empty valid list (1.1.0 lists): every plugin drops what it still holds for this
//      network, and only for this network (leases, nft elements, the dnsname server, an idle vxlan
//      overlay with removeWhenIdle);
//   3. the network's own directories: the host-local store <dataDir>/<name> (only once no lease
//      is left in it) and dnsname's <stateDir>/<name> (its server stopped first);
//   4. bridge devices, only when no port is left on them and no other network names them;
//   5. the config file.
// A failing step stops the removal before the config goes, so it can be retried.
import fs from 'node:fs';
import path from 'node:path';
import { stopServer } from '../dns/server';
import { networkFiles } from '../dns/state-dir';
import { Netlink } from '../netlink';
import { cacheDirFromEnv, listCachedAttachments, type CachedAttachment } from './cache';
import type { NetworkList } from './conf-loader';
import { readLeases } from './leases';
import type { CniRuntime } from './list-ops';
import { bridgeNames, dnsnameStateDirs, hostLocalStoreDirs } from './network-state';

export class NetworkBusyError extends Error {}

export interface Endpoints {
  cached: CachedAttachment[];
  /** Container IDs holding a lease without a cached attachment (another runtime's cache). */
  leaseOnly: string[];
}

export function networkEndpoints(list: NetworkList, cacheDir: string): Endpoints {
  const cached = listCachedAttachments(cacheDir, { network: list.name });
  const known = new Set(cached.map((c) => c.containerID));
  const leaseOnly = new Set<string>();
  for (const dir of hostLocalStoreDirs(list)) {
    for (const l of readLeases(path.dirname(dir), list.name)) if (l.containerID && !known.has(l.containerID)) leaseOnly.add(l.containerID);
  }
  return { cached, leaseOnly: [...leaseOnly] };
}

export const endpointIds = (e: Endpoints): string[] => [...new Set([...e.cached.map((c) => c.containerID), ...e.leaseOnly])];

export interface RemoveOptions {
  runtime: CniRuntime;
  env: NodeJS.ProcessEnv;
  force: boolean;
  /** The other networks of the directory: a bridge one of them names is left alone. */
  others: NetworkList[];
  /** Notes for the user (what was kept and why). */
  note(s: string): void;
  /** Plugin-specific teardown run after GC (e.g. leaving a vxlan store). */
  extra?: () => Promise<void>;
  /** false: skip step 2, when a plugin's GC would undo the teardown (`extra` does the work). */
  gc?: boolean;
}

/** Step 1: refuse, or DEL every cached attachment (a failing DEL stops the removal). */
export async function releaseEndpoints(list: NetworkList, o: RemoveOptions): Promise<void> {
  const e = networkEndpoints(list, cacheDirFromEnv(o.env));
  const ids = endpointIds(e);
  if (!ids.length) return;
  if (!o.force) throw new NetworkBusyError(`network ${list.name} has active endpoints: ${ids.join(', ')}`);
  for (const a of e.cached) {
    try {
      await o.runtime.delNetworkList(list, { containerID: a.containerID, netns: a.netns, ifName: a.ifName, args: a.cniArgs, capabilityArgs: a.capabilityArgs });
    } catch (err) {
      throw new Error(`network ${list.name}: DEL of ${a.containerID} (${a.ifName}) failed, nothing more removed: ${(err as Error).message}`);
    }
  }
}

function removeStoreDirs(list: NetworkList, o: RemoveOptions): void {
  for (const dir of hostLocalStoreDirs(list)) {
    const left = readLeases(path.dirname(dir), list.name);
    if (left.length) {
      o.note(`kept ${dir}: it still holds ${left.length} lease(s) (${left.map((l) => l.ip).join(', ')})`);
      continue;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of dnsnameStateDirs(list, o.env)) {
    if (!fs.existsSync(dir)) continue;
    stopServer(networkFiles(path.dirname(dir), list.name));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Bridges of the list that are idle and named by no other network; returns the ones removed. */
function removeIdleBridges(list: NetworkList, o: RemoveOptions): string[] {
  const removed: string[] = [];
  const nl = Netlink.open();
  try {
    for (const name of bridgeNames(list)) {
      const user = o.others.find((l) => bridgeNames(l).includes(name));
      if (user) {
        o.note(`kept bridge ${name}: network ${user.name} uses it too`);
        continue;
      }
      const br = nl.linkByName(name);
      if (!br) continue;
      if (br.kind !== 'bridge') {
        o.note(`kept ${name}: it is a ${br.kind ?? 'non-bridge'} device, not a bridge`);
        continue;
      }
      const ports = nl.linkList().filter((l) => l.master === br.index);
      if (ports.length) {
        o.note(`kept bridge ${name}: ports ${ports.map((p) => p.name).join(', ')} are still on it`);
        continue;
      }
      nl.linkDel(br.index);
      removed.push(name);
    }
  } finally {
    nl.close();
  }
  return removed;
}

/** The whole removal; returns the bridges deleted (their firewall policy state goes with them). */
export async function removeNetwork(list: NetworkList, o: RemoveOptions): Promise<string[]> {
  await releaseEndpoints(list, o);
  const gc = o.gc === false ? { errors: [] } : await o.runtime.gcNetworkList(list, []);
  if (gc.errors.length) {
    const msg = gc.errors.map((e) => e.message).join('; ');
    if (!o.force) throw new Error(`network ${list.name}: cleanup (GC) failed, nothing removed (--force removes it anyway): ${msg}`);
    o.note(`cleanup (GC) reported: ${msg}`);
  }
  await o.extra?.();
  removeStoreDirs(list, o);
  const bridges = removeIdleBridges(list, o);
  if (list.file) fs.rmSync(list.file, { force: true });
  return bridges;
}
