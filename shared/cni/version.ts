import { CniError, ErrorCode } from './error';

export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const CURRENT_VERSION = '1.1.0';

export type Triple = [number, number, number];

export function parseVersion(v: string): Triple {
  const s = v === '' ? '0.1.0' : v;
  const parts = s.split('.');
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new CniError(ErrorCode.DecodingFailure, `invalid version "${v}"`);
  }
  const n = parts.map(Number);
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

export const atLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;

/** The result family a version belongs to: the three JSON shapes libcni converts between. */
export type ResultFamily = '0.2' | '0.4' | '1.0';
export function resultFamily(v: string): ResultFamily {
  if (compareVersions(v, '0.3.0') < 0) return '0.2';
  if (compareVersions(v, '1.0.0') < 0) return '0.4';
  return '1.0';
}

/** Exact-string match against the supported list, as the reference skeleton does. */
export function requireSupported(v: string, supported: readonly string[]): void {
  const ver = v === '' ? '0.1.0' : v;
  if (!supported.includes(ver)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      'incompatible CNI versions',
      `config is "${ver}", plugin supports [${supported.map((s) => `"${s}"`).join(' ')}]`,
    );
  }
}
