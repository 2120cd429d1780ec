// Which account the server drops to. It parses DNS from every container, so it should not stay
// root: Debian's dnsmasq package creates a "dnsmasq" account for this. That account must be able
// to reach the hosts file it re-reads on SIGHUP; if a directory on the way is closed to others
// (e.g. a 0700 /run/containers), root is the only account that can, and is used instead.
import fs from 'node:fs';
import path from 'node:path';

export const SERVER_ACCOUNT = 'dnsmasq';

export function accountExists(name: string, passwd = '/etc/passwd'): boolean {
  try {
    return fs.readFileSync(passwd, 'utf8').split('\n').some((l) => l.split(':')[0] === name);
  } catch {
    return false;
  }
}

/**
 * True when every existing directory from / down to `dir` lets "others" search it. Parts that do
 * not exist yet do not count: the state directories we create are made 0755.
 */
export function searchableByOthers(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let mode: number | undefined;
    try {
      mode = fs.statSync(d).mode;
    } catch (e: any) {
      if (e.code !== 'ENOENT') return false;
    }
    if (mode !== undefined && (mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

export function serverUser(networkDir: string): string {
  return accountExists(SERVER_ACCOUNT) && searchableByOthers(networkDir) ? SERVER_ACCOUNT : 'root';
}
