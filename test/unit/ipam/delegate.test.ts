import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CniEnv } from '../../../shared/cni/env';
import { CniError } from '../../../shared/cni/error';
import { delegateIpam, findPlugin, isOwnExecutable } from '../../../shared/ipam/delegate';
import { skipWithout } from '../../helpers/prereq';

const REF_DIR = '/usr/lib/cni';
const hasRef = fs.existsSync(path.join(REF_DIR, 'host-local'));
let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thl-deleg-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function ctx(pathDirs: string[], id = 'c1', version = '1.0.0') {
  const json = { cniVersion: version, name: 'dnet', type: 'bridge', ipam: { type: 'host-local', dataDir: path.join(dir, 'data'), subnet: '10.80.0.0/24' } };
  const env: CniEnv = { command: 'ADD', containerId: id, netns: '/x', ifname: 'eth0', args: '', path: pathDirs, netnsOverride: false };
  // The exec path passes the process environment on, as a plugin's own env would be.
  Object.assign(process.env, { CNI_CONTAINERID: id, CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: pathDirs.join(':') });
  return { env, raw: Buffer.from(JSON.stringify(json)), json, cniVersion: version };
}

async function failure(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('finding the IPAM plugin', () => {
  it('takes the first regular file on CNI_PATH; a missing one is code 7 in libcni words', () => {
    fs.mkdirSync(path.join(dir, 'a', 'host-local'), { recursive: true }); // a directory: skipped
    fs.mkdirSync(path.join(dir, 'b'));
    fs.writeFileSync(path.join(dir, 'b', 'host-local'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findPlugin('host-local', [path.join(dir, 'a'), path.join(dir, 'b')])).toBe(path.join(dir, 'b', 'host-local'));
    const e = (() => {
      try {
        findPlugin('nope', [dir]);
      } catch (x) {
        return x as CniError;
      }
    })()!;
    expect([e.code, e.msg]).toEqual([7, `failed to find plugin "nope" in path [${dir}]`]);
    expect(() => findPlugin('../host-local', [dir])).toThrow(/invalid plugin type/);
  });

  it('recognises our own dev launcher and nothing else', () => {
    fs.writeFileSync(path.join(dir, 'mine'), '#!/bin/bash\nexec -a host-local /x/node /tmp/b/tscni.cjs "$@"\n');
    fs.writeFileSync(path.join(dir, 'other'), '#!/bin/bash\nexec /usr/lib/cni/host-local\n');
    expect(isOwnExecutable(path.join(dir, 'mine'))).toBe(true);
    expect(isOwnExecutable(path.join(dir, 'other'))).toBe(false);
    if (hasRef) expect(isOwnExecutable(path.join(REF_DIR, 'host-local'))).toBe(false);
  });
});

describe('delegating', () => {
  it('runs host-local in-process when CNI_PATH leads to our executable (TSCNI_NO_INPROCESS=1 execs it)', async () => {
    // A launcher that would fail if it were ever executed.
    fs.writeFileSync(path.join(dir, 'host-local'), '#!/bin/bash\n# tscni.cjs\necho \'{"code":42,"msg":"executed"}\'; exit 1\n', { mode: 0o755 });
    const c = ctx([dir]);
    const r = await delegateIpam('ADD', c, 'host-local');
    expect(r).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.80.0.2/24', gateway: '10.80.0.1' }] });
    expect(fs.readFileSync(path.join(dir, 'data', 'dnet', '10.80.0.2'), 'utf8')).toBe('c1\r\neth0');
    await delegateIpam('CHECK', c, 'host-local');
    process.env.TSCNI_NO_INPROCESS = '1';
    const e = await failure(delegateIpam('DEL', c, 'host-local'));
    expect([e.code, e.msg], `details: ${e.details}`).toEqual([42, "executed"]);
    delete process.env.TSCNI_NO_INPROCESS;
    await delegateIpam('DEL', c, 'host-local');
    expect(fs.existsSync(path.join(dir, 'data', 'dnet', '10.80.0.2'))).toBe(false);
  });

  it.skipIf(skipWithout('delegate exec of the reference host-local', hasRef ? undefined : 'the reference plugins are not in /usr/lib/cni (Debian package containernetworking-plugins; npm test installs it)'))('execs any other binary, parses its result and rethrows its error', async () => {
    const c = ctx([REF_DIR], 'c2');
    const r = await delegateIpam('ADD', c, 'host-local');
    expect(r?.ips).toEqual([{ address: '10.80.0.2/24', gateway: '10.80.0.1' }]);
    expect(fs.readFileSync(path.join(dir, 'data', 'dnet', '10.80.0.2'), 'utf8')).toBe('c2\r\neth0');
    const e = await failure(delegateIpam('ADD', c, 'host-local'));
    expect([e.code, e.msg]).toEqual([999, 'failed to allocate for range 0: 10.80.0.2 has been allocated to c2, duplicate allocation is not allowed']);
    await delegateIpam('DEL', c, 'host-local');
    expect(fs.existsSync(path.join(dir, 'data', 'dnet', '10.80.0.2'))).toBe(false);
  });
});
