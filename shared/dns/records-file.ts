// records.json: what the network publishes and how its server was configured. Written to a
// temp file and renamed, so a crash leaves the old or the new version, never half of one.
import fs from 'node:fs';
import type { ServerSettings } from './dnsmasq-config';
import type { Registration } from './registration';
import { readTextIfExists } from '../sys/files';

export interface Records {
  version: 1;
  server?: ServerSettings;
  registrations: Registration[];
}

const empty = (): Records => ({ version: 1, registrations: [] });

function isRegistration(v: any): v is Registration {
  return (
    v && typeof v.containerId === 'string' && typeof v.ifname === 'string' && (v.name === undefined || typeof v.name === 'string') &&
    Array.isArray(v.aliases) && v.aliases.every((a: unknown) => typeof a === 'string') &&
    Array.isArray(v.ips) && v.ips.every((a: unknown) => typeof a === 'string')
  );
}

/** A missing file is an empty network; a corrupt one is reported, not silently reset. */
export function readRecords(file: string): Records {
  const text = readTextIfExists(file);
  if (text === undefined) return empty();
  let v: any;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!v || v.version !== 1 || !Array.isArray(v.registrations) || !v.registrations.every(isRegistration)) {
    throw new Error(`${file} is not a dnsname records file (version 1)`);
  }
  return v as Records;
}

export function writeFileAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode); // writeFileSync's mode is filtered by the umask
  fs.renameSync(tmp, file);
}

export function writeRecords(file: string, r: Records): void {
  writeFileAtomic(file, JSON.stringify(r, null, 2) + '\n', 0o600);
}
