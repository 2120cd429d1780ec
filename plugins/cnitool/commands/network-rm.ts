// `docker network rm` and `docker network prune` for a CNI config directory. The generic steps
// (endpoints, GC, store and dnsname directories, idle bridges, the file) are the runtime's
// (shared/runtime/network-remove.ts); the plugin-specific ones live here: leaving a vxlan store,
// tearing down an idle overlay, and the firewall state that belongs to the network (firewall-leftovers.ts).
import fs from 'node:fs';
import { parseConfig } from '../../../shared/cni/netconf';
import { Netlink } from '../../../shared/netlink';
import { networkDir } from '../../../shared/overlay/state';
import { openStore } from '../../../shared/overlay/store/etcd';
import { leaveNetwork } from '../../../shared/overlay/store/membership';
import { cacheDirFromEnv } from '../../../shared/runtime/cache';
import { ConfigError, NoConfigsFoundError, NotFoundError, listNetworks, loadNetworkList, type NetworkList } from '../../../shared/runtime/conf-loader';
import { endpointIds, networkEndpoints, removeNetwork } from '../../../shared/runtime/network-remove';
import { isCreatedNetwork } from '../../../shared/runtime/network-state';
import { teardownIfIdle } from '../../../shared/overlay/host';
import { validateVxlanConf, vxlanSchema } from '../../../shared/overlay/config';
import { CliError, type CliIo } from '../cli-io';
import { parseRmArgs } from '../create/flags';
import { clearIsolation, removeMasqChains } from './firewall-leftovers';
import { makeRuntime, netconfDir } from '../runtime-env';

function findNetwork(io: CliIo, name: string): NetworkList {
  try {
    return loadNetworkList(netconfDir(io.env), name);
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof NoConfigsFoundError) throw new CliError(`network ${name} not found`);
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
}

/** vxlan: give up this host's share in the store, remove the overlay devices, firewall and state. */
async function vxlanTeardown(list: NetworkList, force: boolean, note: (s: string) => void): Promise<void> {
  for (const p of list.plugins.filter((x) => x.type === 'vxlan')) {
    const json = { ...p.json, name: list.name, cniVersion: list.cniVersion };
    const o = validateVxlanConf(parseConfig(vxlanSchema, json));
    if (o.store) {
      try {
        // What `vxlan-sync --leave` does: revoke the lease (node record and claim go with it).
        const h = await openStore(o.store, o.name);
        try {
          await leaveNetwork(h, o.stateDir, o.name);
        } finally {
          h.close();
        }
      } catch (e) {
        if (!force) throw new Error(`network ${list.name}: leaving the vxlan store failed, nothing removed (--force removes it anyway): ${(e as Error).message}`);
        note(`leaving the vxlan store failed: ${(e as Error).message}`);
      }
    }
    const nl = Netlink.open();
    try {
      if (!teardownIfIdle(nl, { overlay: o })) {
        note(`kept the overlay devices ${o.device} and ${o.bridge}: containers are still attached to ${o.bridge}`);
        continue;
      }
    } finally {
      nl.close();
    }
    fs.rmSync(networkDir(o.stateDir, o.name), { recursive: true, force: true });
  }
}

async function removeOne(io: CliIo, list: NetworkList, force: boolean): Promise<void> {
  const note = (s: string): void => io.err(`${list.name}: ${s}\n`);
  const others = listNetworks(netconfDir(io.env)).flatMap((e) => (e.list && e.list.name !== list.name ? [e.list] : []));
  // A vxlan GC joins its store before anything else, so it would register this host again right
  // before it leaves; and it takes the store's lease cache for a stale attachment. With a store,
  // vxlanTeardown does what GC would (the DELs already released the addresses).
  const gc = !list.plugins.some((p) => p.type === 'vxlan' && p.json.store !== undefined);
  const bridges = await removeNetwork(list, { runtime: makeRuntime(io), env: io.env, force, others, note, gc, extra: () => vxlanTeardown(list, force, note) });
  clearIsolation(list, bridges);
  if (list.plugins.some((p) => p.type === 'bridge' && p.json.ipMasq === true)) removeMasqChains(list.name);
}

export async function cmdNetworkRm(io: CliIo, argv: readonly string[]): Promise<number> {
  const a = parseRmArgs(argv, 'rm');
  let failed = false;
  for (const name of a.names) {
    try {
      await removeOne(io, findNetwork(io, name), a.force);
      io.out(`${name}\n`);
    } catch (e) {
      io.err(`${(e as Error).message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** Networks `network create` wrote that have no endpoint; others are never touched. */
export async function cmdNetworkPrune(io: CliIo, argv: readonly string[]): Promise<number> {
  parseRmArgs(argv, 'prune');
  const cacheDir = cacheDirFromEnv(io.env);
  const candidates = listNetworks(netconfDir(io.env)).flatMap((e) => (e.list && isCreatedNetwork(e.list) ? [e.list] : []));
  const removed: string[] = [];
  let failed = false;
  for (const list of candidates) {
    if (endpointIds(networkEndpoints(list, cacheDir)).length) continue;
    try {
      await removeOne(io, list, false);
      removed.push(list.name);
    } catch (e) {
      io.err(`${(e as Error).message}\n`);
      failed = true;
    }
  }
  if (removed.length) io.out(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
  return failed ? 1 : 0;
}
