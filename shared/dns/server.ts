// One network's server brought in line with its records: started when missing (or after it was
// killed), restarted when its settings changed, told to re-read the hosts file otherwise.
// Callers hold the network lock.
import fs from 'node:fs';
import { renderDnsmasqConfig, type ServerSettings } from './dnsmasq-config';
import { reloadDnsmasq, runningPid, startDnsmasq, stopDnsmasq } from './dnsmasq';
import { writeFileAtomic } from './records-file';
import type { NetworkFiles } from './state-dir';

export type ServerAction = 'started' | 'restarted' | 'reloaded';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function ensureServer(files: NetworkFiles, settings: ServerSettings, binary: string): ServerAction {
  const conf = renderDnsmasqConfig(settings, { pidFile: files.pid, hostsFile: files.hosts });
  const pid = runningPid(files.pid, files.conf);
  if (pid && readText(files.conf) === conf) {
    reloadDnsmasq(pid);
    return 'reloaded';
  }
  // New listen addresses or upstreams (e.g. the host's resolv.conf changed) need a new process.
  if (pid) stopDnsmasq(pid);
  writeFileAtomic(files.conf, conf, 0o644);
  startDnsmasq(binary, files.conf, files.pid);
  return pid ? 'restarted' : 'started';
}

/** After the hosts file changed: a running server re-reads it; a dead one stays dead (CHECK tells). */
export function reloadIfRunning(files: NetworkFiles): void {
  const pid = runningPid(files.pid, files.conf);
  if (pid) reloadDnsmasq(pid);
}

export function stopServer(files: NetworkFiles): void {
  const pid = runningPid(files.pid, files.conf);
  if (pid) stopDnsmasq(pid);
}
