// Results as libcni holds and prints them. libcni parses a plugin's stdout into the Go type of
// its version and re-marshals it: 1.x results go through a map (keys sorted, empty dns gone),
// older ones keep struct field order and always carry "dns". Matching this byte for byte is
// what lets scripts that diff cnitool output keep working.
import { ALL_VERSIONS, resultFamily } from '../cni/version';
import { toCurrent, toVersion, type Result } from '../cni/result';
import { goJson, goQuote } from './go-json';

export class ResultError extends Error {}

/**
 * Parses a plugin's stdout into the 1.x shape, keeping the result's own version in
 * `cniVersion`. A result without a version is taken to be in the config's version.
 */
export function parseResult(stdout: Buffer | string, confVersion: string): Result {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout.toString());
  } catch (e) {
    throw new ResultError(`failed to unmarshal raw result: ${(e as Error).message}`);
  }
  if (raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ResultError('failed to unmarshal raw result: not a JSON object');
  const r = raw as Record<string, unknown>;
  const version = typeof r.cniVersion === 'string' && r.cniVersion !== '' ? r.cniVersion : confVersion || '0.1.0';
  if (!(ALL_VERSIONS as readonly string[]).includes(version)) throw new ResultError(`unsupported CNI result version ${goQuote(version)}`);
  try {
    return toCurrent({ ...r, cniVersion: version }, version);
  } catch (e) {
    throw new ResultError((e as Error).message);
  }
}

/** The result converted to `version`, as libcni's GetAsVersion would, in the 1.x shape. */
export function asVersion(res: Result, version: string): Result {
  if (resultFamily(version) === '0.2' && !(res.ips ?? []).length) {
    throw new ResultError('cannot convert: no valid IP addresses');
  }
  return { ...res, cniVersion: version };
}

/** Compact JSON exactly as Go marshals the types.Result of `version`. */
export function renderResult(res: Result, version: string = res.cniVersion): string {
  const shaped = toVersion(asVersion(res, version), version);
  if (resultFamily(version) === '1.0') return goJson(shaped, { sortKeys: true });
  if (shaped.dns === undefined) shaped.dns = {};
  return goJson(shaped, { sortKeys: false });
}

/** What `cnitool add` prints: 4-space indent, no trailing newline. */
export function printResult(res: Result, version: string = res.cniVersion): string {
  return goJson(JSON.parse(renderResult(res, version)), { sortKeys: resultFamily(version) === '1.0', indent: '    ' });
}
