// Finds a network by name in a config directory, the way libcni's LoadNetworkConf does, so a
// directory that works with cnitool/containerd/cri-o works here with the same precedence and
// the same failures (a broken conflist earlier in lexical order aborts the lookup).
import fs from 'node:fs';
import path from 'node:path';
import { CURRENT_VERSION, compareVersions, parseVersion } from '../cni/version';
import { goJson, goQuote } from './go-json';

export const DEFAULT_NETCONF_DIR = '/etc/cni/net.d';

/** One plugin object of a list. `json` is the object as written (unknown keys kept). */
export interface PluginConf {
  type: string;
  /** The plugin's own `name` key, if any (libcni names the plugin by it in errors). */
  name?: string;
  capabilities: Record<string, boolean>;
  json: Record<string, unknown>;
}

export interface NetworkList {
  name: string;
  /** The selected version (highest of cniVersion/cniVersions this runtime knows). */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: PluginConf[];
  /** The list's bytes as libcni caches them: the file as read, or the wrapped single config. */
  bytes: Buffer;
  /** Where it came from, when it came from a file. */
  file?: string;
}

export class ConfigError extends Error {}

export class NoConfigsFoundError extends ConfigError {
  constructor(readonly dir: string) {
    super(`no net configurations found in ${dir}`);
  }
}

export class NotFoundError extends ConfigError {
  constructor(
    readonly dir: string,
    readonly network: string,
  ) {
    super(`no net configuration with name ${goQuote(network)} in ${dir}`);
  }
}

function goType(v: unknown): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'map[string]interface {}';
  }
}

function parseJson(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message}`);
  }
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  // Go decodes JSON null into an empty map; anything else that is not an object fails.
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
    throw new ConfigError(`${what}: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`);
  }
  return v as Record<string, unknown>;
}

/** One plugin's config (a single-plugin file or one entry of `plugins`). */
export function pluginConfFromObject(obj: unknown, what = 'error parsing configuration'): PluginConf {
  const json = asObject(obj, what);
  if (json.type !== undefined && typeof json.type !== 'string') throw new ConfigError(`${what}: field "type" must be a string, not ${goType(json.type)}`);
  if (!json.type) throw new ConfigError(`${what}: missing 'type'`);
  if (json.name !== undefined && typeof json.name !== 'string') throw new ConfigError(`${what}: field "name" must be a string, not ${goType(json.name)}`);
  const caps = json.capabilities;
  if (caps !== undefined && caps !== null) {
    const c = asObject(caps, `${what}: field "capabilities"`);
    for (const [k, v] of Object.entries(c)) {
      if (typeof v !== 'boolean') throw new ConfigError(`${what}: field "capabilities.${k}" must be a bool, not ${goType(v)}`);
    }
  }
  return {
    type: json.type as string,
    name: (json.name as string | undefined) || undefined,
    capabilities: (caps ?? {}) as Record<string, boolean>,
    json,
  };
}

export function pluginConfFromBytes(bytes: Buffer | string): PluginConf {
  return pluginConfFromObject(parseJson(bytes, 'error parsing configuration'));
}

function readBool(raw: Record<string, unknown>, key: string): boolean {
  const v = raw[key];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') throw new ConfigError(`error parsing configuration list: invalid type ${goType(v)} for ${key}`);
  const s = v.toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new ConfigError(`error parsing configuration list: invalid value ${goQuote(s)} for ${key}`);
}

function greaterThanCurrent(v: string, what: string): boolean {
  try {
    parseVersion(v);
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message}`);
  }
  return compareVersions(v, CURRENT_VERSION) > 0;
}

/**
 * The version a list runs at: the highest of `cniVersions` + `cniVersion` that this runtime
 * implements. Without `cniVersions`, `cniVersion` is taken as written (validated later).
 */
export function selectVersion(raw: Record<string, unknown>): string {
  const cv = raw.cniVersion;
  if (cv !== undefined && typeof cv !== 'string') throw new ConfigError(`error parsing configuration list: invalid cniVersion type ${goType(cv)}`);
  let version = (cv as string | undefined) ?? '';
  const rawVersions = raw.cniVersions;
  if (rawVersions === undefined) return version;
  if (!Array.isArray(rawVersions)) throw new ConfigError(`error parsing configuration list: invalid type for cniVersions: ${goType(rawVersions)}`);
  const usable: string[] = [];
  rawVersions.forEach((v, i) => {
    if (typeof v !== 'string') throw new ConfigError(`error parsing configuration list: invalid type for cniVersions index ${i}: ${goType(v)}`);
    if (!greaterThanCurrent(v, `error parsing configuration list: invalid cniVersions entry ${v} at index ${i}`)) usable.push(v);
  });
  if (version !== '' && !greaterThanCurrent(version, `error parsing configuration list: invalid cniVersion ${version}`)) usable.push(version);
  usable.sort(compareVersions);
  if (usable.length) version = usable[usable.length - 1]!;
  return version;
}

/** Parses a conflist's bytes (libcni NetworkConfFromBytes): no directory plugins added yet. */
export function networkListFromBytes(bytes: Buffer, file?: string): NetworkList {
  const raw = asObject(parseJson(bytes, 'error parsing configuration list'), 'error parsing configuration list');
  if (!('name' in raw)) throw new ConfigError('error parsing configuration list: no name');
  if (typeof raw.name !== 'string') throw new ConfigError(`error parsing configuration list: invalid name type ${goType(raw.name)}`);
  const cniVersion = selectVersion(raw);
  const list: NetworkList = {
    name: raw.name,
    cniVersion,
    disableCheck: readBool(raw, 'disableCheck'),
    disableGC: readBool(raw, 'disableGC'),
    loadOnlyInlinedPlugins: readBool(raw, 'loadOnlyInlinedPlugins'),
    plugins: [],
    bytes,
    file,
  };
  if (!('plugins' in raw)) {
    if (list.loadOnlyInlinedPlugins) throw new ConfigError("error parsing configuration list: `loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    return list;
  }
  if (!Array.isArray(raw.plugins)) throw new ConfigError(`error parsing configuration list: invalid 'plugins' type ${goType(raw.plugins)}`);
  if (raw.plugins.length === 0) throw new ConfigError('error parsing configuration list: no plugins in list');
  raw.plugins.forEach((p, i) => {
    try {
      list.plugins.push(pluginConfFromObject(p));
    } catch (e) {
      throw new ConfigError(`failed to parse plugin config ${i}: ${(e as Error).message}`);
    }
  });
  return list;
}

/** Files in dir with one of the extensions (exact, non-recursive), sorted; none if dir is absent. */
export function confFiles(dir: string, extensions: readonly string[]): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e: any) {
    if (e.code === 'ENOENT') return [];
    throw new ConfigError(`failed to read directory ${dir}: ${e.message}`);
  }
  return entries
    .filter((e) => !e.isDirectory() && extensions.includes(path.extname(e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`error reading ${file}: ${(e as Error).message}`);
  }
}

/** Plugins kept in <dir>/<network>/*.conf are appended to the list (libcni, spec 1.1). */
function directoryPlugins(dir: string, network: string): PluginConf[] {
  return confFiles(path.join(dir, network), ['.conf']).map((f) => {
    try {
      return pluginConfFromBytes(readFile(f));
    } catch (e) {
      throw new ConfigError(`failed to load plugin config ${f}: ${(e as Error).message}`);
    }
  });
}

export function networkListFromFile(file: string): NetworkList {
  const list = networkListFromBytes(readFile(file), file);
  if (!list.loadOnlyInlinedPlugins) list.plugins.push(...directoryPlugins(path.dirname(file), list.name));
  if (list.plugins.length === 0) throw new ConfigError('no plugin configs found');
  return list;
}

/** A single-plugin config wrapped as a one-plugin list, with the bytes libcni caches for it. */
export function confListFromConf(conf: PluginConf, file?: string): NetworkList {
  const version = typeof conf.json.cniVersion === 'string' ? conf.json.cniVersion : '';
  const bytes = Buffer.from(goJson({ cniVersion: version, name: conf.name ?? '', plugins: [conf.json] }));
  const list = networkListFromBytes(bytes);
  list.file = file;
  return list;
}

/** The single-plugin file (.conf/.json) that defines `name`. */
export function loadConf(dir: string, name: string): { conf: PluginConf; file: string } {
  const files = confFiles(dir, ['.conf', '.json']);
  if (files.length === 0) throw new NoConfigsFoundError(dir);
  for (const f of files) {
    const conf = pluginConfFromBytes(readFile(f));
    if (conf.name === name) return { conf, file: f };
  }
  throw new NotFoundError(dir, name);
}

/** libcni LoadNetworkConf: conflists first, then single-plugin files. */
export function loadNetworkList(dir: string, name: string): NetworkList {
  const lists = confFiles(dir, ['.conflist']);
  for (const f of lists) {
    const list = networkListFromFile(f);
    if (list.name === name) return list;
  }
  try {
    const { conf, file } = loadConf(dir, name);
    return confListFromConf(conf, file);
  } catch (e) {
    if (e instanceof NoConfigsFoundError && lists.length) throw new NotFoundError(dir, name);
    throw e;
  }
}

export interface NetworkEntry {
  file: string;
  list?: NetworkList;
  error?: string;
}

/**
 * Every network in dir, in libcni's precedence (first file defining a name wins), plus the
 * files that failed to parse: `network ls` shows what a runtime would see and why not.
 */
export function listNetworks(dir: string): NetworkEntry[] {
  const out: NetworkEntry[] = [];
  const seen = new Set<string>();
  for (const f of confFiles(dir, ['.conflist'])) {
    try {
      const list = networkListFromFile(f);
      if (seen.has(list.name)) continue;
      seen.add(list.name);
      out.push({ file: f, list });
    } catch (e) {
      out.push({ file: f, error: (e as Error).message });
    }
  }
  for (const f of confFiles(dir, ['.conf', '.json'])) {
    try {
      const conf = pluginConfFromBytes(readFile(f));
      const list = confListFromConf(conf, f);
      if (seen.has(list.name)) continue;
      seen.add(list.name);
      out.push({ file: f, list });
    } catch (e) {
      out.push({ file: f, error: (e as Error).message });
    }
  }
  return out;
}
