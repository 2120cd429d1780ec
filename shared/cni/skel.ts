// The plugin skeleton: env → stdin → version checks → config → verb → result or error JSON.
// Plugins only describe their verbs (see Plugin below); everything protocol-level lives here.
import fs from 'node:fs';
import type { z } from 'zod';
import { writeAllSync } from '../sys/files';
import { parseCniArgs } from './args';
import { readEnv, type CniEnv, type Command } from './env';
import { CniError, ErrorCode, asCniError } from './error';
import { log, setLogPrefix } from './log';
import { validateNetworkName } from './names';
import { parseConfig, validAttachments, type NetConf } from './netconf';
import type { Attachment } from './owner';
import { toCurrent, toVersion, type Result } from './result';
import { trace } from './trace';
import { vetNetnsPath } from '../netns/sandbox';
import { readStdin, parseJsonObject } from './stdin';
import { ALL_VERSIONS, CURRENT_VERSION, atLeast, requireSupported } from './version';

export interface Context<C> {
  env: CniEnv;
  conf: C;
  /** The config exactly as received, for delegating to IPAM with the same bytes. */
  raw: Buffer;
  json: Record<string, unknown>;
  cniVersion: string;
  prevResult?: Result;
  cniArgs: Map<string, string>;
}

export interface Plugin<C extends NetConf> {
  name: string;
  about: string;
  versions?: readonly string[];
  /**
   * A chained plugin acts on the result of the plugin before it (portmap, firewall, tuning,
   * dnsname): ADD and CHECK without prevResult are refused here, before the verb runs.
   */
  chained?: boolean;
  schema: z.ZodType<C, z.ZodTypeDef, unknown>;
  add(ctx: Context<C>): Promise<Result> | Result;
  del(ctx: Context<C>): Promise<void> | void;
  check(ctx: Context<C>): Promise<void> | void;
  /** Optional: without it STATUS succeeds, as the reference skeleton does. */
  status?(ctx: Context<C>): Promise<void> | void;
  gc?(ctx: Context<C>, valid: Attachment[]): Promise<void> | void;
}

export interface Io {
  env: NodeJS.ProcessEnv;
  stdin(): Buffer;
  stdout(s: string): void;
  stderr(s: string): void;
}

const processIo: Io = {
  env: process.env,
  stdin: () => readStdin(),
  // fs.writeSync on fds 1/2: touching process.stdout builds a stream stack (~3 ms) for one write.
  stdout: (s) => writeAllSync(1, s),
  stderr: (s) => writeAllSync(2, s),
};

export function versionJson(versions: readonly string[]): string {
  return JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: versions }) + '\n';
}

function sameNetns(netns: string): boolean {
  try {
    const a = fs.statSync(netns);
    const b = fs.statSync('/proc/self/ns/net');
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** The previous result of a chained plugin; the one error every chained plugin gives without it. */
export function chainedPrev(ctx: { prevResult?: Result }): Result {
  if (!ctx.prevResult) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'must be called as chained plugin: field "prevResult" is missing', 'the plugin acts on the result of the plugin before it in the conflist');
  }
  return ctx.prevResult;
}

/** Everything but printing: returns the result object (or undefined) or throws CniError. */
export async function dispatch<C extends NetConf>(plugin: Plugin<C>, env: CniEnv, stdin: Buffer): Promise<Record<string, unknown> | undefined> {
  const versions = plugin.versions ?? ALL_VERSIONS;
  const json = parseJsonObject(stdin);
  if (json.cniVersion !== undefined && typeof json.cniVersion !== 'string') {
    throw new CniError(ErrorCode.DecodingFailure, 'decoding version from network config', 'field "cniVersion" must be a string');
  }
  const cniVersion = (json.cniVersion as string | undefined) || '0.1.0';
  requireSupported(cniVersion, versions);
  validateNetworkName(json.name);
  const cmd: Command = env.command;
  if (cmd === 'CHECK' && !atLeast(cniVersion, '0.4.0')) {
    throw new CniError(ErrorCode.IncompatibleVersion, 'config version does not allow CHECK');
  }
  if ((cmd === 'STATUS' || cmd === 'GC') && !atLeast(cniVersion, '1.1.0')) {
    throw new CniError(ErrorCode.IncompatibleVersion, `config version does not allow ${cmd}`);
  }
  if ((cmd === 'ADD' || cmd === 'DEL' || cmd === 'CHECK') && env.netns && !env.netnsOverride && sameNetns(env.netns)) {
    throw new CniError(ErrorCode.InvalidNetns, "plugin's netns and netns from CNI_NETNS should not be the same");
  }
  if ((cmd === 'ADD' || cmd === 'CHECK') && env.netns) vetNetnsPath(env.netns);
  const conf = parseConfig(plugin.schema, json);
  trace('skel: config parsed');
  const ctx: Context<C> = { env, conf, raw: stdin, json, cniVersion, cniArgs: parseCniArgs(env.args) };
  if (json.prevResult !== undefined && json.prevResult !== null && cmd !== 'STATUS' && cmd !== 'GC') {
    ctx.prevResult = toCurrent(json.prevResult, cniVersion);
  }
  if (plugin.chained && (cmd === 'ADD' || cmd === 'CHECK')) chainedPrev(ctx);
  switch (cmd) {
    case 'ADD':
      return toVersion(await plugin.add(ctx), cniVersion);
    case 'DEL':
      await plugin.del(ctx);
      return undefined;
    case 'CHECK':
      await plugin.check(ctx);
      return undefined;
    case 'STATUS':
      await plugin.status?.(ctx);
      return undefined;
    case 'GC':
      await plugin.gc?.(ctx, validAttachments(json));
      return undefined;
    default:
      throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${cmd}`);
  }
}

/** Runs a plugin as a process would: returns the exit code. */
export async function runPlugin<C extends NetConf>(plugin: Plugin<C>, io: Io = processIo): Promise<number> {
  setLogPrefix(plugin.name);
  const versions = plugin.versions ?? ALL_VERSIONS;
  try {
    const env = readEnv(io.env);
    if (!env) {
      io.stderr(`${plugin.about}\nCNI protocol versions supported: ${versions.join(', ')}\n`);
      return 0;
    }
    if (env.command === 'VERSION') {
      io.stdout(versionJson(versions));
      return 0;
    }
    const out = await dispatch(plugin, env, io.stdin());
    trace(`skel: ${env.command} done`);
    if (out) io.stdout(JSON.stringify(out, null, 4));
    return 0;
  } catch (e) {
    const err = asCniError(e);
    if (!(e instanceof CniError)) log(`unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    io.stdout(JSON.stringify(err.toJSON(), null, 4));
    return 1;
  }
}
