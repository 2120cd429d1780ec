// The verbs on a whole network list, as libcni runs them (spec "Network configuration list
// runtime execution"): ADD in order with each result chained, DEL in reverse with the cached
// result, CHECK in order, STATUS in order, GC across cached attachments and then the plugins.
import type { Attachment } from '../cni/owner';
import type { Result } from '../cni/result';
import { atLeast } from '../cni/version';
import { validateContainerID, validateInterfaceName, validateNetworkName } from './attachment-validation';
import { deleteCache, listCachedAttachments, readCachedResult, writeCache, type CachedAttachment } from './cache';
import type { NetworkList, PluginConf } from './conf-loader';
import { execPlugin, type ExecArgs } from './exec';
import { RawJson, goJson, goQuote } from './go-json';
import { findInPath } from './plugin-lookup';
import { asVersion, parseResult, renderResult } from './result-format';

/** One attachment of a container to a network, as the runtime describes it to plugins. */
export interface RuntimeConf {
  containerID: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs. */
  args?: ReadonlyArray<readonly [string, string]>;
  /** Capability arguments (CAP_ARGS); each plugin sees those it declares in `capabilities`. */
  capabilityArgs?: Record<string, unknown>;
}

export interface RuntimeOptions {
  /** Directories searched for plugins (CNI_PATH). */
  cniPath: readonly string[];
  /** Root of the result cache (results/ lives below it). */
  cacheDir: string;
  /** The environment plugins inherit (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** Where plugins' stderr goes after they succeed. */
  stderr?: (chunk: Buffer) => void;
}

export interface GcOutcome {
  /** Cached attachments that were DELeted because they were not valid. */
  removed: CachedAttachment[];
  errors: Error[];
}

/** How libcni names a plugin in errors: type="bridge", plus name="x" if it has one. */
export function pluginDescription(p: PluginConf): string {
  return `type=${goQuote(p.type)}${p.name ? ` name=${goQuote(p.name)}` : ''}`;
}

function wrap(e: unknown, prefix: string): Error {
  const err = new Error(`${prefix}: ${(e as Error).message ?? String(e)}`);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}

/** runtimeConfig for one plugin: the capability args it declares and the runtime supplied. */
export function runtimeConfigFor(p: PluginConf, capabilityArgs: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const rc: Record<string, unknown> = {};
  for (const [cap, enabled] of Object.entries(p.capabilities)) {
    if (enabled && capabilityArgs && cap in capabilityArgs) rc[cap] = capabilityArgs[cap];
  }
  return Object.keys(rc).length ? rc : undefined;
}

/**
 * The stdin of one plugin: its own object with `name`, `cniVersion`, `prevResult` and
 * `runtimeConfig` injected, re-marshalled as libcni does (keys sorted; `capabilities` kept).
 */
export function buildPluginConfig(list: NetworkList, p: PluginConf, prev: Result | undefined, rt: RuntimeConf | undefined, extra: Record<string, unknown> = {}): Buffer {
  const conf: Record<string, unknown> = { ...p.json, name: list.name, cniVersion: list.cniVersion, ...extra };
  if (prev) conf.prevResult = new RawJson(renderResult(prev));
  if (rt) {
    const rc = runtimeConfigFor(p, rt.capabilityArgs);
    if (rc) conf.runtimeConfig = rc;
  }
  return Buffer.from(goJson(conf, { sortKeys: true }));
}

export class CniRuntime {
  constructor(readonly opts: RuntimeOptions) {}

  private execArgs(command: string, rt?: RuntimeConf): ExecArgs {
    return { command, containerID: rt?.containerID, netns: rt?.netns, ifName: rt?.ifName, pluginArgs: rt?.args, path: this.opts.cniPath };
  }

  private exec(p: PluginConf, stdin: Buffer, args: ExecArgs): Promise<Buffer> {
    const file = findInPath(p.type, this.opts.cniPath);
    return execPlugin(file, stdin, args, { env: this.opts.env, stderr: this.opts.stderr });
  }

  private async addOne(list: NetworkList, p: PluginConf, prev: Result | undefined, rt: RuntimeConf): Promise<Result> {
    findInPath(p.type, this.opts.cniPath);
    validateContainerID(rt.containerID);
    validateNetworkName(list.name);
    validateInterfaceName(rt.ifName);
    const stdout = await this.exec(p, buildPluginConfig(list, p, prev, rt), this.execArgs('ADD', rt));
    return parseResult(stdout, list.cniVersion);
  }

  /** ADD: plugins in order, each seeing the previous result; the final result is cached. */
  async addNetworkList(list: NetworkList, rt: RuntimeConf): Promise<Result> {
    let result: Result | undefined;
    for (const p of list.plugins) {
      try {
        result = await this.addOne(list, p, result, rt);
      } catch (e) {
        // No rollback: like libcni, the caller owns the DEL that must follow a failed ADD.
        throw wrap(e, `plugin ${pluginDescription(p)} failed (add)`);
      }
    }
    try {
      writeCache(this.opts.cacheDir, { ...rt, networkName: list.name, config: list.bytes, cniArgs: rt.args }, result);
    } catch (e) {
      throw wrap(e, `failed to set network ${goQuote(list.name)} cached result`);
    }
    return asVersion(result!, list.cniVersion);
  }

  /** DEL: plugins in reverse with the cached ADD result; the cache goes only on success. */
  async delNetworkList(list: NetworkList, rt: RuntimeConf): Promise<void> {
    let cached: Result | undefined;
    if (atLeast(list.cniVersion, '0.4.0')) {
      try {
        cached = readCachedResult(this.opts.cacheDir, list.name, rt.containerID, rt.ifName, list.cniVersion);
      } catch {
        // A corrupt cache must not block the teardown: drop it and DEL without prevResult.
        deleteCache(this.opts.cacheDir, list.name, rt.containerID, rt.ifName);
        cached = undefined;
      }
    }
    for (const p of [...list.plugins].reverse()) {
      try {
        await this.exec(p, buildPluginConfig(list, p, cached, rt), this.execArgs('DEL', rt));
      } catch (e) {
        throw wrap(e, `plugin ${pluginDescription(p)} failed (delete)`);
      }
    }
    deleteCache(this.opts.cacheDir, list.name, rt.containerID, rt.ifName);
  }

  /** CHECK (0.4.0+): plugins in order with the cached result; the first error stops it. */
  async checkNetworkList(list: NetworkList, rt: RuntimeConf): Promise<void> {
    if (!atLeast(list.cniVersion, '0.4.0')) {
      throw new Error(`configuration version ${goQuote(list.cniVersion)} does not support the CHECK command`);
    }
    if (list.disableCheck) return;
    let cached: Result | undefined;
    try {
      cached = readCachedResult(this.opts.cacheDir, list.name, rt.containerID, rt.ifName, list.cniVersion);
    } catch (e) {
      throw wrap(e, `failed to get network ${goQuote(list.name)} cached result`);
    }
    for (const p of list.plugins) {
      await this.exec(p, buildPluginConfig(list, p, cached, rt), this.execArgs('CHECK', rt));
    }
  }

  /** STATUS (1.1.0+; older lists succeed without a call): the first failing plugin's error. */
  async statusNetworkList(list: NetworkList): Promise<void> {
    if (!atLeast(list.cniVersion, '1.1.0')) return;
    for (const p of list.plugins) {
      await this.exec(p, buildPluginConfig(list, p, undefined, undefined), this.execArgs('STATUS'));
    }
  }

  /**
   * GC. With `valid` given, every cached attachment of this network not in it is DELeted
   * (with its cached netns, args and capability args); then, for 1.1.0+ lists, each plugin
   * gets GC with the valid set. Errors do not stop it; they are all returned.
   */
  async gcNetworkList(list: NetworkList, valid: readonly Attachment[] | undefined): Promise<GcOutcome> {
    const out: GcOutcome = { removed: [], errors: [] };
    if (list.disableGC) return out;
    if (valid) {
      const keep = new Set(valid.map((a) => `${a.containerId}\0${a.ifname}`));
      for (const a of listCachedAttachments(this.opts.cacheDir, { network: list.name })) {
        if (keep.has(`${a.containerID}\0${a.ifName}`)) continue;
        const rt: RuntimeConf = { containerID: a.containerID, netns: a.netns, ifName: a.ifName, args: a.cniArgs, capabilityArgs: a.capabilityArgs };
        try {
          await this.delNetworkList(list, rt);
          out.removed.push(a);
        } catch (e) {
          out.errors.push(wrap(e, `failed to delete stale attachment ${a.containerID} ${a.ifName}`));
        }
      }
    }
    if (!atLeast(list.cniVersion, '1.1.0')) return out;
    const extra: Record<string, unknown> = {};
    if (valid) {
      const entries = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
      // The spec's key, plus the misspelt one an earlier spec text used (libcni sends both).
      extra['cni.dev/valid-attachments'] = entries;
      extra['cni.dev/attachments'] = entries;
    }
    for (const p of list.plugins) {
      try {
        await this.exec(p, buildPluginConfig(list, p, undefined, undefined, extra), this.execArgs('GC'));
      } catch (e) {
        out.errors.push(e as Error);
      }
    }
    return out;
  }
}
