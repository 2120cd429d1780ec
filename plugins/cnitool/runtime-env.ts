// cnitool's environment contract, read in the order cnitool reads it so the first error a
// user sees is the same: the network config, then CAP_ARGS, then CNI_ARGS, then the netns.
import { cacheDirFromEnv } from '../../shared/runtime/cache';
import { DEFAULT_NETCONF_DIR, loadNetworkList, type NetworkList } from '../../shared/runtime/conf-loader';
import { absoluteNetns, containerIdFromNetns } from '../../shared/runtime/container-id';
import { goQuote } from '../../shared/runtime/go-json';
import { CniRuntime, type RuntimeConf } from '../../shared/runtime/list-ops';
import { splitCniPath } from '../../shared/runtime/plugin-lookup';
import { CliError, type CliIo } from './cli-io';

export function netconfDir(env: NodeJS.ProcessEnv): string {
  return env.NETCONFPATH || DEFAULT_NETCONF_DIR;
}

export function loadList(io: CliIo, name: string): NetworkList {
  try {
    return loadNetworkList(netconfDir(io.env), name);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** CAP_ARGS: a JSON object of capability arguments (e.g. portMappings). */
export function capabilityArgs(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const raw = env.CAP_ARGS;
  if (!raw) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new CliError(`invalid CAP_ARGS: ${(e as Error).message}`);
  }
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new CliError(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`);
  }
  return v as Record<string, unknown>;
}

/** CNI_ARGS "K=V;K=V": every pair needs exactly one '=' and both sides non-empty. */
export function cniArgs(env: NodeJS.ProcessEnv): Array<[string, string]> {
  const raw = env.CNI_ARGS;
  if (!raw) return [];
  return raw.split(';').map((pair) => {
    const kv = pair.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') throw new CliError(`invalid CNI_ARGS pair ${goQuote(pair)}`);
    return [kv[0]!, kv[1]!];
  });
}

/** -i wins; then CNI_IFNAME even when set but empty (cnitool v1.2.3); then eth0. */
export function ifnameFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) return flag;
  return env.CNI_IFNAME ?? 'eth0';
}

export function makeRuntime(io: CliIo): CniRuntime {
  return new CniRuntime({ cniPath: splitCniPath(io.env.CNI_PATH), cacheDir: cacheDirFromEnv(io.env), env: io.env, stderr: io.errBytes });
}

export function runtimeConf(io: CliIo, netnsArg: string, ifName: string): RuntimeConf {
  const caps = capabilityArgs(io.env);
  const args = cniArgs(io.env);
  const netns = absoluteNetns(netnsArg, io.cwd);
  return { containerID: containerIdFromNetns(netns), netns, ifName, args, capabilityArgs: caps };
}
