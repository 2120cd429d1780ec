// What a host keeps locally: the membership cache, the share DEL falls back on, the peer merge,
// the network record it publishes, and the bundled etcd API definitions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/cni/netconf';
import { forgetMembership, loadMembership, membershipFile, saveMembership } from '../../../shared/overlay/store/cache';
import { ETCD_PROTO } from '../../../shared/overlay/store/etcd-proto';
import { validateVxlanConf, vxlanSchema } from '../../../shared/overlay/config';
import { cachedConf, mergePeers, networkRecord } from '../../../shared/overlay/store-view';

const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tet-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const base = (stateDir: string, extra: object = {}) =>
  parseConfig(vxlanSchema, { cniVersion: '1.1.0', name: 'ovl', type: 'vxlan', mode: 'l3', vni: 42, network: '10.244.0.0/16', store: { type: 'etcd', endpoints: ['http://127.0.0.1:1'] }, stateDir, ...extra });

describe('membership cache', () => {
  it('round trip, torn file, forget', () => {
    const d = tmp();
    expect(loadMembership(d, 'ovl')).toBeUndefined();
    saveMembership(d, 'ovl', { node: '172.31.0.1', leaseId: '123', share: '10.244.3.0/24' });
    expect(loadMembership(d, 'ovl')).toEqual({ node: '172.31.0.1', leaseId: '123', share: '10.244.3.0/24' });
    expect(fs.statSync(membershipFile(d, 'ovl')).mode & 0o777).toBe(0o600);
    fs.writeFileSync(membershipFile(d, 'ovl'), '{"node":');
    expect(loadMembership(d, 'ovl')).toBeUndefined();
    forgetMembership(d, 'ovl');
    expect(fs.existsSync(membershipFile(d, 'ovl'))).toBe(false);
  });
});

describe('the share a verb sees without the store (DEL, or etcd away)', () => {
  it('l3: the cached subnet, else a placeholder inside the network', () => {
    const d = tmp();
    const c = base(d);
    expect(cachedConf(c, validateVxlanConf(c)).nodeSubnet).toBe('10.244.1.0/24');
    saveMembership(d, 'ovl', { node: '172.31.0.1', leaseId: '1', share: '10.244.9.0/24' });
    const filled = cachedConf(c, validateVxlanConf(c));
    expect(filled.nodeSubnet).toBe('10.244.9.0/24');
    expect(validateVxlanConf(filled).nodeSubnet?.network).toBe('10.244.9.0');
  });
  it('l2: the cached block as a range, nodeBlockLen dropped', () => {
    const d = tmp();
    const c = base(d, { mode: 'l2', network: '10.50.0.0/24', nodeBlockLen: 26 });
    saveMembership(d, 'ovl', { node: '172.31.0.1', leaseId: '1', share: '10.50.0.128/26' });
    const filled = cachedConf(c, validateVxlanConf(c));
    expect(filled.nodeRange).toEqual({ rangeStart: '10.50.0.128', rangeEnd: '10.50.0.191' });
    expect(filled.nodeBlockLen).toBeUndefined();
    expect(validateVxlanConf(filled).nodeRange?.rangeStart).toBe('10.50.0.128');
  });
  it('a configured share is left alone', () => {
    const c = base(tmp(), { nodeSubnet: '10.244.4.0/24' });
    expect(cachedConf(c, validateVxlanConf(c))).toBe(c);
  });
});

describe('peers and the network record', () => {
  it('static peers win over the store for the same underlay address', () => {
    const merged = mergePeers([{ underlayIP: '172.31.0.2', subnet: '10.244.2.0/24', name: 'static' }], [
      { underlayIP: '172.31.0.2', subnet: '10.244.7.0/24' },
      { underlayIP: '172.31.0.3', subnet: '10.244.3.0/24' },
    ]);
    expect(merged.map((p) => `${p.underlayIP} ${p.subnet}`)).toEqual(['172.31.0.2 10.244.2.0/24', '172.31.0.3 10.244.3.0/24']);
  });
  it('the record every host must agree on', () => {
    const c = base(tmp(), { port: 8472 });
    expect(networkRecord(validateVxlanConf(c), 1450)).toEqual({ mode: 'l3', vni: 42, port: 8472, mtu: 1450, network: '10.244.0.0/16', subnetLen: 24 });
  });
});

describe('bundled etcd API definitions', () => {
  it('are exactly the files the installed etcd3 client ships', () => {
    const dir = path.join(path.dirname(require.resolve('etcd3/package.json')), 'proto');
    const installed = Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    expect(ETCD_PROTO).toEqual(installed);
  });
});
