// The five cnitool verbs. Same arguments, output and exit codes as the Go cnitool, except gc:
// ours keeps attachments whose netns is still alive unless --all asks for cnitool's behaviour.
import { cacheDirFromEnv, listCachedAttachments } from '../../../shared/runtime/cache';
import type { Attachment } from '../../../shared/cni/owner';
import { isLiveNetns } from '../../../shared/runtime/netns-liveness';
import { printResult } from '../../../shared/runtime/result-format';
import type { ParsedArgs } from '../cli-args';
import { CliError, type CliIo } from '../cli-io';
import { ifnameFrom, loadList, makeRuntime, runtimeConf } from '../runtime-env';

async function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  }
}

export async function cmdAdd(io: CliIo, a: ParsedArgs, net: string, netns: string): Promise<number> {
  const list = loadList(io, net);
  const rt = runtimeConf(io, netns, ifnameFrom(a.ifname, io.env));
  const result = await attempt(() => makeRuntime(io).addNetworkList(list, rt));
  io.out(printResult(result));
  return 0;
}

export async function cmdCheck(io: CliIo, a: ParsedArgs, net: string, netns: string): Promise<number> {
  const list = loadList(io, net);
  const rt = runtimeConf(io, netns, ifnameFrom(a.ifname, io.env));
  await attempt(() => makeRuntime(io).checkNetworkList(list, rt));
  return 0;
}

export async function cmdDel(io: CliIo, a: ParsedArgs, net: string, netns: string): Promise<number> {
  const list = loadList(io, net);
  const rt = runtimeConf(io, netns, ifnameFrom(a.ifname, io.env));
  await attempt(() => makeRuntime(io).delNetworkList(list, rt));
  return 0;
}

export async function cmdStatus(io: CliIo, _a: ParsedArgs, net: string): Promise<number> {
  const list = loadList(io, net);
  await attempt(() => makeRuntime(io).statusNetworkList(list));
  return 0;
}

/**
 * Valid attachments = cached attachments of this network whose netns is still a live
 * namespace. Attachments cached without a netns are kept: nothing proves them dead.
 */
export function liveAttachments(cacheDir: string, network: string): Attachment[] {
  return listCachedAttachments(cacheDir, { network })
    .filter((c) => c.netns === '' || isLiveNetns(c.netns))
    .map((c) => ({ containerId: c.containerID, ifname: c.ifName }));
}

export async function cmdGc(io: CliIo, a: ParsedArgs, net: string): Promise<number> {
  const list = loadList(io, net);
  const cacheDir = cacheDirFromEnv(io.env);
  const valid = a.all ? [] : liveAttachments(cacheDir, net);
  const outcome = await attempt(() => makeRuntime(io).gcNetworkList(list, valid));
  for (const r of outcome.removed) {
    const why = a.all ? '--all' : r.netns ? `netns ${r.netns} is gone` : 'no netns';
    io.err(`gc: removed attachment ${r.networkName}/${r.containerID}/${r.ifName} (${why})\n`);
  }
  if (outcome.errors.length) throw new CliError(outcome.errors.map((e) => e.message).join('\n'));
  return 0;
}
