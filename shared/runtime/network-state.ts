// What a network list declares about the host state it owns, read from its plugins' configs:
// its subnets, its bridge devices, its host-local store and dnsname state directories, and
// whether `network create` wrote it. Pure reads of the config; nothing here touches the host.
import path from 'node:path';
import { stateBase } from '../dns/state-dir';
import { defaultBridgeName, defaultDeviceName } from '../overlay/names';
import type { NetworkList } from './conf-loader';
import { hostLocalDataDirs, ipamSubnets } from './leases';

/** Top-level key of a conflist written by `cnitool network create` (libcni ignores it). */
export const CREATED_MARK = 'x-tscni-created';

/** The subnets the list uses: IPAM's, and a vxlan overlay's `network`. */
export function networkSubnets(list: NetworkList): string[] {
  const out = ipamSubnets(list);
  for (const p of list.plugins) if (p.type === 'vxlan' && typeof p.json.network === 'string') out.push(p.json.network);
  return [...new Set(out)];
}

/** Bridge devices the list's plugins attach to (bridge's `bridge`, default cni0; vxlan's bridge). */
export function bridgeNames(list: NetworkList): string[] {
  const out = new Set<string>();
  for (const p of list.plugins) {
    if (p.type === 'bridge') out.add(typeof p.json.bridge === 'string' && p.json.bridge ? p.json.bridge : 'cni0');
    if (p.type === 'vxlan') out.add(typeof p.json.bridge === 'string' && p.json.bridge ? p.json.bridge : defaultBridgeName(list.name));
  }
  return [...out];
}

/** vxlan devices of the list (vxlan's `device`, default vx-<name>). */
export function vxlanDevices(list: NetworkList): string[] {
  return list.plugins.filter((p) => p.type === 'vxlan').map((p) => (typeof p.json.device === 'string' && p.json.device ? p.json.device : defaultDeviceName(list.name)));
}

/** <dataDir>/<network> of every host-local section: the network's address store. */
export function hostLocalStoreDirs(list: NetworkList): string[] {
  return hostLocalDataDirs(list).map((d) => path.join(d, list.name));
}

/** <stateDir>/<network> of every dnsname plugin (config key, then env, then the default). */
export function dnsnameStateDirs(list: NetworkList, env: NodeJS.ProcessEnv): string[] {
  const dirs = list.plugins.filter((p) => p.type === 'dnsname').map((p) => path.join(stateBase(typeof p.json.stateDir === 'string' ? p.json.stateDir : undefined, env), list.name));
  return [...new Set(dirs)];
}

/** Whether `network create` wrote the list (the mark is in the file's own bytes). */
export function isCreatedNetwork(list: NetworkList): boolean {
  try {
    const raw = JSON.parse(list.bytes.toString()) as Record<string, unknown>;
    return raw[CREATED_MARK] === true;
  } catch {
    return false;
  }
}
