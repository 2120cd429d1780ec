// On-disk pieces that need no server: the records file, the lock's directory handling, the
// state-dir resolution and the choice of the server's account.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STATE_DIR, networkFiles, stateBase } from '../../../shared/dns';
import { findDnsmasq, runningPid } from '../../../shared/dns/dnsmasq';
import { withNetworkLock } from '../../../shared/dns/lock';
import { readRecords, writeRecords } from '../../../shared/dns/records-file';
import { accountExists, searchableByOthers } from '../../../shared/dns/server-user';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tdn-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('records file', () => {
  it('reads a missing file as empty and round-trips', () => {
    const f = path.join(tmp, 'records.json');
    expect(readRecords(f)).toEqual({ version: 1, registrations: [] });
    const r = { version: 1 as const, registrations: [{ containerId: 'c1', ifname: 'eth0', name: 'web', aliases: [], ips: ['10.0.0.2'] }] };
    writeRecords(f, r);
    expect(readRecords(f)).toEqual(r);
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
  });
  it('reports a corrupt file instead of starting over', () => {
    const f = path.join(tmp, 'bad.json');
    fs.writeFileSync(f, '{"version":1,"registrations":[{"containerId":5}]}');
    expect(() => readRecords(f)).toThrow(/not a dnsname records file/);
    fs.writeFileSync(f, '{');
    expect(() => readRecords(f)).toThrow(/not valid JSON/);
  });
});

describe('network lock', () => {
  it('creates the directory 0755 whatever the umask, and skips a missing one when not creating', () => {
    const files = networkFiles(path.join(tmp, 'deep', 'state'), 'net1');
    expect(withNetworkLock(files, false, () => 'ran')).toBeUndefined();
    const old = process.umask(0o077);
    try {
      expect(withNetworkLock(files, true, () => 'ran')).toBe('ran');
    } finally {
      process.umask(old);
    }
    for (const d of [files.dir, path.dirname(files.dir), path.join(tmp, 'deep')]) expect(fs.statSync(d).mode & 0o777).toBe(0o755);
    expect(fs.statSync(files.lock).mode & 0o777).toBe(0o600);
  });
  it('is re-entrant for different networks and releases on throw', () => {
    const a = networkFiles(tmp, 'a');
    expect(() => withNetworkLock(a, true, () => { throw new Error('boom'); })).toThrow('boom');
    expect(withNetworkLock(a, true, () => withNetworkLock(networkFiles(tmp, 'b'), true, () => 2))).toBe(2);
  });
});

describe('state dir and server account', () => {
  it('resolves config key, then env, then the default', () => {
    expect(stateBase('/x', { TSCNI_DNSNAME_STATE_DIR: '/y' })).toBe('/x');
    expect(stateBase(undefined, { TSCNI_DNSNAME_STATE_DIR: '/y' })).toBe('/y');
    expect(stateBase(undefined, {})).toBe(DEFAULT_STATE_DIR);
    expect(networkFiles('/run/x', 'n').hosts).toBe('/run/x/n/addnhosts');
  });
  it('sees a 0700 directory on the way as closed to the server account', () => {
    const closed = path.join(tmp, 'closed');
    fs.mkdirSync(closed, { mode: 0o700 });
    fs.chmodSync(closed, 0o700);
    fs.chmodSync(tmp, 0o755);
    expect(searchableByOthers(path.join(closed, 'not', 'yet'))).toBe(false);
    fs.chmodSync(closed, 0o755);
    expect(searchableByOthers(path.join(closed, 'not', 'yet'))).toBe(true);
  });
  it('reads accounts from a passwd file', () => {
    const pw = path.join(tmp, 'passwd');
    fs.writeFileSync(pw, 'root:x:0:0::/root:/bin/sh\ndnsmasq:x:999:65534::/:/usr/sbin/nologin\n');
    expect(accountExists('dnsmasq', pw)).toBe(true);
    expect(accountExists('dns', pw)).toBe(false);
  });
});

describe('dnsmasq process lookup', () => {
  it('finds an explicit binary only if it is executable', () => {
    const fake = path.join(tmp, 'dnsmasq');
    fs.writeFileSync(fake, '#!/bin/sh\n', { mode: 0o644 });
    expect(findDnsmasq(fake)).toBeUndefined();
    fs.chmodSync(fake, 0o755);
    expect(findDnsmasq(fake)).toBe(fake);
    expect(findDnsmasq(undefined, tmp)).toBe(fake);
  });
  it('does not take a pid file at its word', () => {
    const pid = path.join(tmp, 'pid');
    fs.writeFileSync(pid, `${process.pid}\n`); // alive, but not a dnsmasq with our conf
    expect(runningPid(pid, '/nonexistent.conf')).toBeUndefined();
    fs.writeFileSync(pid, 'garbage');
    expect(runningPid(pid, '/nonexistent.conf')).toBeUndefined();
    expect(runningPid(path.join(tmp, 'nope'), '/x')).toBeUndefined();
  });
});
