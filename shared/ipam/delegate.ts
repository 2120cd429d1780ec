// IPAM delegation as the spec describes it (find ipam.type on CNI_PATH, run it with the same
// environment and the whole config on stdin), with one shortcut: when the binary found is this
// very executable and the type is one we implement, the code runs in this process instead,
// saving a whole process start. TSCNI_NO_INPROCESS=1 always execs (tests, benchmarks).
//
// A missing plugin is code 7 (invalid network config: the config names a type that is not
// installed), with libcni's message: failed to find plugin "<type>" in path [<dirs>].
import { childProcess } from '../sys/builtins';
import { sleepSync } from '../sys/sleep';
import fs from 'node:fs';
import path from 'node:path';
import type { CniEnv } from '../cni/env';
import { CniError, ErrorCode, asCniError } from '../cni/error';
import { validAttachments } from '../cni/netconf';
import { toCurrent, toVersion, type Result } from '../cni/result';
import { hostLocalAdd, hostLocalCheck, hostLocalDel, hostLocalGc, hostLocalStatus, type IpamRequest } from './host-local';

export type IpamCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC';

export interface DelegateContext {
  env: CniEnv;
  raw: Buffer;
  json: Record<string, unknown>;
  cniVersion: string;
}

/** The IPAM types this executable can serve without starting itself again. */
const IN_PROCESS = new Set(['host-local']);

/** libcni's FindInPath: the first directory of CNI_PATH holding a regular file of that name. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  if (!type || type.includes('/') || type === '.' || type === '..') {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid plugin type "${type}"`, 'a plugin type is a file name, without "/"');
  }
  for (const dir of dirs) {
    const file = path.join(dir, type);
    try {
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not in this directory */
    }
  }
  throw new CniError(ErrorCode.InvalidNetworkConfig, `failed to find plugin "${type}" in path [${dirs.join(' ')}]`);
}

/** Dev builds are a bash launcher naming the bundle; release builds are links to one binary. */
export function isOwnExecutable(file: string): boolean {
  try {
    const real = fs.realpathSync(file);
    if (real === fs.realpathSync(process.execPath)) return true;
    const fd = fs.openSync(real, 'r');
    try {
      const head = Buffer.alloc(512);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      const text = head.subarray(0, n).toString('utf8');
      return text.startsWith('#!') && text.includes('tscni.cjs');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

function inProcess(command: IpamCommand, ctx: DelegateContext): Result | undefined {
  const prev = ctx.json.prevResult;
  const req: IpamRequest = {
    env: ctx.env,
    json: ctx.json,
    cniVersion: ctx.cniVersion,
    prevResult: prev !== undefined && prev !== null ? toCurrent(prev, ctx.cniVersion) : undefined,
  };
  switch (command) {
    case 'ADD':
      // Through the config's version and back, exactly as an exec'd result would come back.
      return toCurrent(toVersion(hostLocalAdd(req), ctx.cniVersion), ctx.cniVersion);
    case 'DEL':
      hostLocalDel(req);
      return undefined;
    case 'CHECK':
      hostLocalCheck(req);
      return undefined;
    case 'STATUS':
      hostLocalStatus(req);
      return undefined;
    case 'GC':
      hostLocalGc(req, validAttachments(ctx.json));
      return undefined;
  }
}

function parseOutput(stdout: string): unknown {
  try {
    return stdout.trim() === '' ? undefined : JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

function execPlugin(command: IpamCommand, ctx: DelegateContext, file: string, type: string): Result | undefined {
  const run = () =>
    childProcess().spawnSync(file, [], {
      env: { ...process.env, CNI_COMMAND: command },
      input: ctx.raw,
      stdio: ['pipe', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
      encoding: 'utf8',
    });
  let r = run();
  // "Text file busy": the binary is being replaced, or another thread's fork briefly holds a
  // write fd to it. libcni retries this too.
  for (let i = 0; i < 5 && (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETXTBSY'; i++) {
    sleepSync(200);
    r = run();
  }
  // A plugin may exit without reading its stdin (an error printed straight away); Go's os/exec,
  // so libcni, ignores EPIPE on stdin, as shared/runtime/exec.ts does: its answer is what counts.
  const stdinClosed = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && (r.status !== null || r.signal !== null);
  if (r.error && !stdinClosed) throw new CniError(ErrorCode.Internal, `failed to run plugin "${type}"`, r.error.message);
  const out = parseOutput(r.stdout ?? '');
  if (r.status !== 0) {
    const e = out as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
    if (e && typeof e.code === 'number' && typeof e.msg === 'string') {
      throw new CniError(e.code, e.msg, typeof e.details === 'string' ? e.details : '');
    }
    const why = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new CniError(ErrorCode.Internal, `plugin "${type}" failed (${why}) without a CNI error`, (r.stdout ?? '').slice(0, 500));
  }
  if (command !== 'ADD') return undefined;
  if (out === undefined) throw new CniError(ErrorCode.DecodingFailure, `plugin "${type}" printed no result`, (r.stdout ?? '').slice(0, 500));
  return toCurrent(out, ctx.cniVersion);
}

export async function delegateIpam(command: IpamCommand, ctx: DelegateContext, ipamType: string): Promise<Result | undefined> {
  const file = findPlugin(ipamType, ctx.env.path);
  if (IN_PROCESS.has(ipamType) && process.env.TSCNI_NO_INPROCESS !== '1' && isOwnExecutable(file)) {
    try {
      return inProcess(command, ctx);
    } catch (e) {
      throw asCniError(e);
    }
  }
  return execPlugin(command, ctx, file, ipamType);
}

/**
 * A main plugin's IPAM step on ADD: delegate, register the release with the rollback, refuse an
 * empty answer, and point every address at the result's interface `ifaceIndex`.
 */
export async function allocateFor(
  ctx: DelegateContext,
  ipamType: string,
  rollback: { push(u: () => unknown): void },
  ifaceIndex: number,
): Promise<Pick<Result, 'ips' | 'routes' | 'dns'>> {
  const r = await delegateIpam('ADD', ctx, ipamType);
  rollback.push(() => delegateIpam('DEL', ctx, ipamType));
  if (!r?.ips?.length) throw new CniError(ErrorCode.Internal, 'IPAM plugin returned missing IP config');
  return { ips: r.ips.map((ip) => ({ ...ip, interface: ifaceIndex })), routes: [...(r.routes ?? [])], ...(r.dns ? { dns: r.dns } : {}) };
}
