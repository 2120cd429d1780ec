// Where one network's server lives on disk. The files are runtime state (like the server
// itself they do not survive a reboot), hence /run by default, podman's dnsname location:
//
//   <stateDir>/<network>/lock          flock(LOCK_EX) around every change (0600)
//   <stateDir>/<network>/records.json  registrations + server settings: the source of truth (0600)
//   <stateDir>/<network>/addnhosts     rendered from records.json, read by dnsmasq (0644)
//   <stateDir>/<network>/dnsmasq.conf  the server's config (0644)
//   <stateDir>/<network>/dnsmasq.pid   written by dnsmasq
//
// The directory is 0755: dnsmasq re-reads addnhosts on SIGHUP after it dropped privileges.
import path from 'node:path';

export const DEFAULT_STATE_DIR = '/run/containers/cni/dnsname';
/** Lets tests (and operators) move the state without touching each network's config. */
export const STATE_DIR_ENV = 'TSCNI_DNSNAME_STATE_DIR';

export interface NetworkFiles {
  network: string;
  dir: string;
  lock: string;
  records: string;
  hosts: string;
  conf: string;
  pid: string;
}

/** Config key first, then the environment, then the default. */
export function stateBase(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return configured || env[STATE_DIR_ENV] || DEFAULT_STATE_DIR;
}

/** The network name was validated by the skeleton (no '/', never '.' or '..'). */
export function networkFiles(base: string, network: string): NetworkFiles {
  const dir = path.join(base, network);
  return {
    network,
    dir,
    lock: path.join(dir, 'lock'),
    records: path.join(dir, 'records.json'),
    hosts: path.join(dir, 'addnhosts'),
    conf: path.join(dir, 'dnsmasq.conf'),
    pid: path.join(dir, 'dnsmasq.pid'),
  };
}
