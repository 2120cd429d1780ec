// Container sysctl keys as users write them ("net.ipv4.conf.eth0.arp_notify" or
// "net/ipv4/conf/eth0.100/arp_notify") turned into a path under /proc/sys/net. Only the network
// subtree is namespaced, so anything else would change the whole host: refused up front.
import { CniError, ErrorCode } from '../cni/error';
import { readTextIfExists } from '../sys/files';

export interface SysctlSetting {
  /** The key as written in the config (error messages name it). */
  key: string;
  /** Slash form relative to /proc/sys, e.g. net/ipv4/conf/eth0/arp_notify. */
  path: string;
  value: string;
}

const bad = (key: string, why: string): CniError =>
  new CniError(ErrorCode.InvalidNetworkConfig, `invalid sysctl key "${key}" in field "sysctl": ${why}`);

/**
 * Like sysctl(8): a key holding a '/' is slash-separated and its dots are literal (interface
 * names such as eth0.100 have dots); otherwise dots separate. A component spelled IFNAME stands
 * for CNI_IFNAME, as in the reference plugin.
 */
export function sysctlPath(key: string, ifname: string): string {
  if (key === '') throw bad(key, 'empty key');
  if (/[\s\0]/.test(key)) throw bad(key, 'contains whitespace or NUL');
  const parts = key.split(key.includes('/') ? '/' : '.');
  if (parts.some((p) => p === '')) throw bad(key, 'empty path component');
  if (parts.some((p) => p === '.' || p === '..')) throw bad(key, '"." and ".." are not allowed');
  if (parts[0] !== 'net' || parts.length < 2) throw bad(key, 'only net.* sysctls belong to the container network namespace');
  return parts.map((p) => (p === 'IFNAME' ? ifname : p)).join('/');
}

/** Validates every key before anything is touched; two spellings of one key are refused. */
export function sysctlSettings(map: Record<string, string>, ifname: string): SysctlSetting[] {
  const seen = new Map<string, string>();
  const out: SysctlSetting[] = [];
  for (const [key, value] of Object.entries(map)) {
    const path = sysctlPath(key, ifname);
    const other = seen.get(path);
    if (other !== undefined) throw bad(key, `same sysctl as "${other}"`);
    seen.set(path, key);
    out.push({ key, path, value });
  }
  return out;
}

/** Values as the kernel prints them: multi-value sysctls come back tab-separated. */
export const sameSysctlValue = (a: string, b: string): boolean => a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');

export const ALLOWLIST_FILE = '/etc/cni/tuning/allowlist.conf';

/** The reference's optional allowlist: one regular expression per line, unanchored. */
export function parseAllowlist(text: string): RegExp[] {
  const out: RegExp[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    try {
      out.push(new RegExp(line));
    } catch (e) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid pattern "${line}" in the sysctl allowlist`, (e as Error).message);
    }
  }
  return out;
}

export function checkAllowlist(settings: SysctlSetting[], patterns: RegExp[] | undefined): void {
  if (!patterns) return;
  for (const s of settings) {
    if (!patterns.some((p) => p.test(s.key))) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `sysctl "${s.key}" is not allowed by ${ALLOWLIST_FILE}`, `allowed: ${patterns.map((p) => p.source).join(', ')}`);
    }
  }
}

/** undefined when the allowlist file does not exist (then every net.* key is allowed). */
export function readAllowlist(file = ALLOWLIST_FILE): RegExp[] | undefined {
  const text = readTextIfExists(file);
  return text === undefined ? undefined : parseAllowlist(text);
}
