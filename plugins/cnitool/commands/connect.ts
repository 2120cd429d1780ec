// `docker network connect/disconnect`: attach a container (its netns) to one more network on
// its own interface. Which interfaces a container already has comes from the result cache,
// the only record a CNI runtime keeps.
import { cacheDirFromEnv, listCachedAttachments } from '../../../shared/runtime/cache';
import { containerIdFromNetns, absoluteNetns } from '../../../shared/runtime/container-id';
import { goQuote } from '../../../shared/runtime/go-json';
import { printResult } from '../../../shared/runtime/result-format';
import type { ParsedArgs } from '../cli-args';
import { CliError, type CliIo } from '../cli-io';
import { loadList, makeRuntime, runtimeConf } from '../runtime-env';

/** The lowest ethN the container does not use yet. */
export function nextFreeIfname(used: Iterable<string>): string {
  const taken = new Set(used);
  for (let n = 0; ; n++) if (!taken.has(`eth${n}`)) return `eth${n}`;
}

async function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof CliError ? e : new CliError((e as Error).message);
  }
}

export async function cmdConnect(io: CliIo, a: ParsedArgs, net: string, netns: string): Promise<number> {
  const list = loadList(io, net);
  const cid = containerIdFromNetns(absoluteNetns(netns, io.cwd));
  const mine = listCachedAttachments(cacheDirFromEnv(io.env), { containerID: cid });
  const already = mine.find((c) => c.networkName === list.name);
  if (already) throw new CliError(`container ${cid} is already connected to network ${goQuote(list.name)} (interface ${already.ifName})`);
  const ifName = a.ifname ?? nextFreeIfname(mine.map((c) => c.ifName));
  if (mine.some((c) => c.ifName === ifName)) throw new CliError(`container ${cid} already has an interface ${ifName}`);
  const rt = runtimeConf(io, netns, ifName);
  const result = await attempt(() => makeRuntime(io).addNetworkList(list, rt));
  io.out(printResult(result));
  return 0;
}

export async function cmdDisconnect(io: CliIo, a: ParsedArgs, net: string, netns: string): Promise<number> {
  const list = loadList(io, net);
  const cid = containerIdFromNetns(absoluteNetns(netns, io.cwd));
  let ifNames: string[];
  if (a.ifname !== undefined) {
    ifNames = [a.ifname];
  } else {
    ifNames = listCachedAttachments(cacheDirFromEnv(io.env), { containerID: cid, network: list.name }).map((c) => c.ifName);
    if (!ifNames.length) throw new CliError(`container ${cid} is not connected to network ${goQuote(list.name)}`);
  }
  const runtime = makeRuntime(io);
  for (const ifName of ifNames) {
    const rt = runtimeConf(io, netns, ifName);
    await attempt(() => runtime.delNetworkList(list, rt));
  }
  return 0;
}
