// The dnsmasq process of one network: find the binary, start it, signal it, stop it.
// dnsmasq daemonizes itself: the process we start forks the server (new session, stdio on
// /dev/null, parent = init), waits until it is listening and has written its pid file, then
// exits with 0 or with the startup error on stderr. So the plugin waits only for that launcher,
// gets real startup errors, and is never the server's parent.
import fs from 'node:fs';
import path from 'node:path';
import { childProcess } from '../sys/builtins';
import { sleepSync } from '../sys/sleep';

/** Also searched when PATH lacks them: runtimes often run plugins with a minimal PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The dnsmasq to run: `explicit` if given, else the first on PATH or in the sbin dirs. */
export function findDnsmasq(explicit: string | undefined, envPath = process.env.PATH ?? ''): string | undefined {
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  const dirs = [...envPath.split(':').filter((d) => path.isAbsolute(d)), ...SBIN_DIRS];
  return dirs.map((d) => path.join(d, 'dnsmasq')).find(isExecutable);
}

function alive(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; a zombie has exited already.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The pid of this network's running server, or undefined. A pid file can outlive its process
 * and the pid be reused, so the process must also be a dnsmasq started with this conf file.
 */
export function runningPid(pidFile: string, confFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return undefined;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(argv[0] ?? '') === 'dnsmasq' && argv.includes(`--conf-file=${confFile}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class DnsmasqStartError extends Error {}

/** Starts the server and returns its pid; throws with dnsmasq's own message on failure. */
export function startDnsmasq(binary: string, confFile: string, pidFile: string): number {
  const r = childProcess().spawnSync(binary, [`--conf-file=${confFile}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  if (r.error) throw new DnsmasqStartError(`cannot run ${binary}: ${r.error.message}`);
  if (r.status !== 0) throw new DnsmasqStartError(`${binary} exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim() || 'no message'}`);
  for (let i = 0; i < 50; i++) {
    const pid = runningPid(pidFile, confFile);
    if (pid) return pid;
    sleepSync(10);
  }
  throw new DnsmasqStartError(`${binary} reported success but no server is running with pid file ${pidFile}`);
}

/** dnsmasq re-reads its addn-hosts files on SIGHUP and keeps answering meanwhile. */
export function reloadDnsmasq(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. Returns once it is gone. */
export function stopDnsmasq(pid: number, graceMs = 3000): void {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch (e: any) {
      if (e.code !== 'ESRCH') throw e;
    }
  };
  signal('SIGTERM');
  for (let waited = 0; alive(pid); waited += 10) {
    if (waited === graceMs) signal('SIGKILL');
    if (waited > graceMs + 2000) throw new Error(`dnsmasq (pid ${pid}) does not exit`);
    sleepSync(10);
  }
}
