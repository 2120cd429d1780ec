// `docker network ls` / `docker network inspect` over a CNI config directory: the networks a
// runtime would find there, their IPAM subnets, host-local leases and cached attachments.
import path from 'node:path';
import { cacheDirFromEnv, listCachedAttachments } from '../../../shared/runtime/cache';
import { listNetworks, type NetworkList } from '../../../shared/runtime/conf-loader';
import { hostLocalDataDirs, readLeases } from '../../../shared/runtime/leases';
import { networkSubnets } from '../../../shared/runtime/network-state';
import { isLiveNetns } from '../../../shared/runtime/netns-liveness';
import type { ParsedArgs } from '../cli-args';
import type { CliIo } from '../cli-io';
import { loadList, netconfDir } from '../runtime-env';

interface NetworkRow {
  name: string;
  type: string;
  plugins: string[];
  subnets: string[];
  cniVersion: string;
  file: string;
}

function row(list: NetworkList): NetworkRow {
  return {
    name: list.name,
    type: list.plugins[0]?.type ?? '',
    plugins: list.plugins.map((p) => p.type),
    subnets: networkSubnets(list),
    cniVersion: list.cniVersion,
    file: list.file ?? '',
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd() + '\n').join('');
}

export function cmdNetworkLs(io: CliIo, a: ParsedArgs): number {
  const dir = netconfDir(io.env);
  const entries = listNetworks(dir);
  for (const e of entries) if (e.error) io.err(`warning: skipping ${e.file}: ${e.error}\n`);
  const rows = entries.filter((e) => e.list).map((e) => row(e.list!));
  if (a.json) {
    io.out(JSON.stringify(rows, null, 4) + '\n');
    return 0;
  }
  const cells = [['NAME', 'TYPE', 'SUBNET', 'VERSION', 'PLUGINS', 'FILE']];
  for (const r of rows) cells.push([r.name, r.type, r.subnets.join(',') || '-', r.cniVersion || '-', r.plugins.join(','), path.basename(r.file)]);
  io.out(table(cells));
  return 0;
}

export function cmdNetworkInspect(io: CliIo, _a: ParsedArgs, net: string): number {
  const list = loadList(io, net);
  const cacheDir = cacheDirFromEnv(io.env);
  const leases = hostLocalDataDirs(list).flatMap((d) => readLeases(d, list.name));
  const attachments = listCachedAttachments(cacheDir, { network: list.name }).map((c) => ({
    containerID: c.containerID,
    ifname: c.ifName,
    netns: c.netns,
    netnsLive: isLiveNetns(c.netns),
    ips: Array.isArray(c.result?.ips) ? (c.result!.ips as Array<{ address?: string }>).map((i) => i.address) : [],
    ...(c.cniArgs?.length ? { cniArgs: c.cniArgs } : {}),
    ...(c.capabilityArgs ? { capabilityArgs: c.capabilityArgs } : {}),
    result: c.result,
    cacheFile: c.file,
  }));
  const doc = {
    name: list.name,
    cniVersion: list.cniVersion,
    file: list.file ?? null,
    disableCheck: list.disableCheck,
    disableGC: list.disableGC,
    subnets: networkSubnets(list),
    plugins: list.plugins.map((p) => p.json),
    leases,
    attachments,
  };
  io.out(JSON.stringify(doc, null, 4) + '\n');
  return 0;
}

