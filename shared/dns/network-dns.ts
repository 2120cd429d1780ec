// The operations a plugin verb needs, each one a locked read-modify-write of a network's
// records followed by bringing its server in line.
import fs from 'node:fs';
import { CniError, ErrorCode } from '../cni/error';
import type { Attachment } from '../cni/owner';
import type { ServerSettings } from './dnsmasq-config';
import { DnsmasqStartError } from './dnsmasq';
import { renderHostsFile } from './hosts-file';
import { withNetworkLock } from './lock';
import { readRecords, writeFileAtomic, writeRecords, type Records } from './records-file';
import { NAME_CONFLICT, nameConflict, sameAttachment, upsert, type Registration } from './registration';
import { ensureServer, reloadIfRunning, stopServer, type ServerAction } from './server';
import type { NetworkFiles } from './state-dir';

function load(files: NetworkFiles): Records {
  try {
    return readRecords(files.records);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot read the DNS records of network "${files.network}"`, (e as Error).message);
  }
}

function save(files: NetworkFiles, r: Records): void {
  // Hosts first: if we die between the two, the records still list what the server may serve.
  writeFileAtomic(files.hosts, renderHostsFile(r.registrations, r.server?.domain ?? ''), 0o644);
  writeRecords(files.records, r);
}

/** Publishes an attachment's names and makes sure the server runs. Refuses a taken name. */
export function publish(files: NetworkFiles, settings: ServerSettings, binary: string, reg: Registration): ServerAction {
  return withNetworkLock(files, true, () => {
    const before = load(files);
    const clash = nameConflict(before.registrations, reg);
    if (clash) throw new CniError(NAME_CONFLICT, `dnsname: ${clash} on network "${files.network}"`, 'a container name must be unique on its network');
    save(files, { version: 1, server: settings, registrations: upsert(before.registrations, reg) });
    try {
      return ensureServer(files, settings, binary);
    } catch (e) {
      // Leave the network as it was: the runtime's DEL after a failed ADD then finds nothing.
      if (before.registrations.length) save(files, before);
      else fs.rmSync(files.dir, { recursive: true, force: true });
      if (e instanceof DnsmasqStartError) throw new CniError(ErrorCode.Internal, `dnsname: cannot start the DNS server of network "${files.network}"`, e.message);
      throw e;
    }
  })!;
}

/** Removes registrations; with none left the server stops and the state directory goes. */
function remove(files: NetworkFiles, keep: (r: Registration) => boolean): void {
  withNetworkLock(files, false, () => {
    const before = load(files);
    const registrations = before.registrations.filter(keep);
    if (registrations.length) {
      if (registrations.length !== before.registrations.length) {
        save(files, { ...before, registrations });
        reloadIfRunning(files);
      }
      return;
    }
    stopServer(files);
    fs.rmSync(files.dir, { recursive: true, force: true });
  });
}

/** DEL: idempotent, needs neither prevResult nor the names. */
export function unpublish(files: NetworkFiles, a: Attachment): void {
  remove(files, (r) => !sameAttachment(r, a));
}

/** GC: keeps only the valid attachments' names. */
export function prune(files: NetworkFiles, valid: readonly Attachment[]): void {
  remove(files, (r) => valid.some((v) => sameAttachment(r, v)));
}

/** What is on record for a network (no lock: records.json is replaced atomically). */
export function inspect(files: NetworkFiles): Records {
  return load(files);
}
