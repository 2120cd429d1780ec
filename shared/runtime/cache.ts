// libcni's result cache: one file per attachment at <cacheDir>/results/<net>-<cid>-<ifname>,
// in the cniCacheV1 format, so an attachment ADDed by cnitool/containerd can be DELed here and
// the other way round. The cache dir is /var/lib/cni unless CNI_CACHE_DIR says otherwise
// (our extension: the Go cnitool has no way to move it, which tests need).
import fs from 'node:fs';
import path from 'node:path';
import type { Result } from '../cni/result';
import { RawJson, goJson } from './go-json';
import { asVersion, parseResult, renderResult } from './result-format';

export const DEFAULT_CACHE_DIR = '/var/lib/cni';
export const CACHE_KIND = 'cniCacheV1';

export function cacheDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.CNI_CACHE_DIR || DEFAULT_CACHE_DIR;
}

export function resultsDir(cacheDir: string): string {
  return path.join(cacheDir, 'results');
}

export function cacheFilePath(cacheDir: string, network: string, containerID: string, ifName: string): string {
  return path.join(resultsDir(cacheDir), `${network}-${containerID}-${ifName}`);
}

export interface CacheEntry {
  containerID: string;
  ifName: string;
  networkName: string;
  netns: string;
  /** The whole list's bytes as loaded (libcni stores them base64-encoded). */
  config: Buffer;
  cniArgs?: ReadonlyArray<readonly [string, string]>;
  capabilityArgs?: Record<string, unknown>;
}

/** The file's bytes, field for field as libcni's cachedInfo marshals them. */
export function renderCacheFile(entry: CacheEntry, result: Result | undefined): string {
  const caps = entry.capabilityArgs && Object.keys(entry.capabilityArgs).length ? entry.capabilityArgs : undefined;
  return goJson(
    {
      kind: CACHE_KIND,
      containerId: entry.containerID,
      config: entry.config,
      ifName: entry.ifName,
      networkName: entry.networkName,
      netns: entry.netns || undefined,
      cniArgs: entry.cniArgs?.length ? entry.cniArgs : undefined,
      capabilityArgs: caps ? new RawJson(goJson(caps, { sortKeys: true })) : undefined,
      // The result is stored as a decoded map: its keys come out sorted whatever its version.
      result: result ? new RawJson(goJson(JSON.parse(renderResult(result)), { sortKeys: true })) : undefined,
    },
    { sortKeys: false },
  );
}

/** Writes atomically (temp file + rename), dir 0700 and file 0600: results name containers. */
export function writeCache(cacheDir: string, entry: CacheEntry, result: Result | undefined): string {
  const file = cacheFilePath(cacheDir, entry.networkName, entry.containerID, entry.ifName);
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, renderCacheFile(entry, result), { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}

export function deleteCache(cacheDir: string, network: string, containerID: string, ifName: string): void {
  fs.rmSync(cacheFilePath(cacheDir, network, containerID, ifName), { force: true });
}

interface CachedInfo {
  kind?: unknown;
  containerId?: unknown;
  config?: unknown;
  ifName?: unknown;
  networkName?: unknown;
  netns?: unknown;
  cniArgs?: unknown;
  capabilityArgs?: unknown;
  result?: unknown;
}

function decode(bytes: Buffer): CachedInfo | undefined {
  try {
    const v = JSON.parse(bytes.toString());
    return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === CACHE_KIND ? (v as CachedInfo) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cached result converted to `version` (what DEL and CHECK pass as prevResult).
 * undefined when nothing is cached; throws when the file is there but unusable.
 */
export function readCachedResult(cacheDir: string, network: string, containerID: string, ifName: string, version: string): Result | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cacheFilePath(cacheDir, network, containerID, ifName));
  } catch {
    return undefined;
  }
  const info = decode(bytes);
  // Before cniCacheV1, libcni stored the bare result in the same place.
  const result = info ? parseResult(JSON.stringify(info.result ?? {}), '') : parseResult(bytes, '');
  return asVersion(result, version);
}

export interface CachedAttachment extends CacheEntry {
  file: string;
  result?: Record<string, unknown>;
}

function asPairs(v: unknown): Array<[string, string]> {
  if (!Array.isArray(v)) return [];
  return v.filter((p) => Array.isArray(p) && p.length === 2).map((p) => [String(p[0]), String(p[1])]);
}

/** Every valid cniCacheV1 entry, optionally only those of one container and/or network. */
export function listCachedAttachments(cacheDir: string, filter: { containerID?: string; network?: string } = {}): CachedAttachment[] {
  const dir = resultsDir(cacheDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: CachedAttachment[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (filter.containerID && name.indexOf(`-${filter.containerID}-`) <= 0) continue;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(dir, name));
    } catch {
      continue;
    }
    const info = decode(bytes);
    if (!info || typeof info.ifName !== 'string' || !info.ifName || typeof info.networkName !== 'string' || !info.networkName) continue;
    const containerID = typeof info.containerId === 'string' ? info.containerId : '';
    if (filter.containerID && containerID !== filter.containerID) continue;
    if (filter.network && info.networkName !== filter.network) continue;
    out.push({
      file: path.join(dir, name),
      containerID,
      ifName: info.ifName,
      networkName: info.networkName,
      netns: typeof info.netns === 'string' ? info.netns : '',
      config: typeof info.config === 'string' ? Buffer.from(info.config, 'base64') : Buffer.alloc(0),
      cniArgs: asPairs(info.cniArgs),
      capabilityArgs: typeof info.capabilityArgs === 'object' && info.capabilityArgs !== null ? (info.capabilityArgs as Record<string, unknown>) : undefined,
      result: typeof info.result === 'object' && info.result !== null ? (info.result as Record<string, unknown>) : undefined,
    });
  }
  return out;
}
