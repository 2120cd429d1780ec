import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDirFromEnv, cacheFilePath, listCachedAttachments, readCachedResult, renderCacheFile, writeCache } from '../../../shared/runtime/cache';
import { parseResult } from '../../../shared/runtime/result-format';
import { SAMPLE_CACHE, SAMPLE_PLUGIN_STDOUT } from './fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thn-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sample = JSON.parse(SAMPLE_CACHE);
const entry = {
  containerID: 'cnitool-a5831365d127c410296b',
  ifName: 'eth0',
  networkName: 'anchornet',
  netns: '/run/netns/anch-ctr',
  config: Buffer.from(sample.config, 'base64'),
  // Given in the caller's order: libcni's map re-sorts them.
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostPort: 5353, containerPort: 53, protocol: 'udp' }] },
};

describe('cniCacheV1 result cache', () => {
  it('renders the measured libcni cache file byte for byte', () => {
    expect(renderCacheFile(entry, parseResult(SAMPLE_PLUGIN_STDOUT, '1.0.0'))).toBe(SAMPLE_CACHE);
  });

  it('omits empty cniArgs/capabilityArgs/netns and keeps cniArgs as pairs', () => {
    const text = renderCacheFile({ ...entry, netns: '', capabilityArgs: {}, cniArgs: [] }, undefined);
    expect(Object.keys(JSON.parse(text))).toEqual(['kind', 'containerId', 'config', 'ifName', 'networkName']);
    const withArgs = JSON.parse(renderCacheFile({ ...entry, cniArgs: [['IgnoreUnknown', '1'], ['IP', '10.0.0.9']] }, undefined));
    expect(withArgs.cniArgs).toEqual([['IgnoreUnknown', '1'], ['IP', '10.0.0.9']]);
  });

  it('writes <dir>/results/<net>-<cid>-<ifname> with dir 0700 and file 0600, no temp left', () => {
    const dir = path.join(tmp, 'w');
    const file = writeCache(dir, entry, parseResult(SAMPLE_PLUGIN_STDOUT, '1.0.0'));
    expect(file).toBe(path.join(dir, 'results', 'anchornet-cnitool-a5831365d127c410296b-eth0'));
    expect(file).toBe(cacheFilePath(dir, 'anchornet', entry.containerID, 'eth0'));
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe(SAMPLE_CACHE);
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
  });

  it('reads a libcni-written file back as prevResult, converted to the list version', () => {
    const dir = path.join(tmp, 'r');
    fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
    fs.writeFileSync(cacheFilePath(dir, 'anchornet', entry.containerID, 'eth0'), SAMPLE_CACHE);
    const r = readCachedResult(dir, 'anchornet', entry.containerID, 'eth0', '0.4.0')!;
    expect(r.cniVersion).toBe('0.4.0');
    expect(r.ips).toEqual([{ address: '10.123.45.2/24', gateway: '10.123.45.1', interface: 2 }]);
    expect(readCachedResult(dir, 'anchornet', 'other', 'eth0', '1.0.0')).toBeUndefined();
  });

  it('reads the legacy bare-result format and rejects garbage', () => {
    const dir = path.join(tmp, 'l');
    fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
    fs.writeFileSync(cacheFilePath(dir, 'n', 'c', 'eth0'), SAMPLE_PLUGIN_STDOUT);
    expect(readCachedResult(dir, 'n', 'c', 'eth0', '1.0.0')!.interfaces).toHaveLength(3);
    fs.writeFileSync(cacheFilePath(dir, 'n', 'c', 'eth1'), '{{{');
    expect(() => readCachedResult(dir, 'n', 'c', 'eth1', '1.0.0')).toThrow();
  });

  it('lists attachments by container and network, skipping foreign files', () => {
    const dir = path.join(tmp, 'a');
    writeCache(dir, entry, undefined);
    writeCache(dir, { ...entry, networkName: 'other', ifName: 'eth1' }, undefined);
    writeCache(dir, { ...entry, containerID: 'c2' }, undefined);
    fs.writeFileSync(path.join(dir, 'results', 'junk'), 'x');
    expect(listCachedAttachments(dir).length).toBe(3);
    expect(listCachedAttachments(dir, { containerID: entry.containerID }).map((a) => a.networkName)).toEqual(['anchornet', 'other']);
    const one = listCachedAttachments(dir, { network: 'anchornet', containerID: 'c2' });
    expect(one.map((a) => [a.containerID, a.ifName, a.netns])).toEqual([['c2', 'eth0', '/run/netns/anch-ctr']]);
    expect(one[0]!.config.equals(entry.config)).toBe(true);
  });

  it('takes the cache dir from CNI_CACHE_DIR, default /var/lib/cni', () => {
    expect(cacheDirFromEnv({})).toBe('/var/lib/cni');
    expect(cacheDirFromEnv({ CNI_CACHE_DIR: '/x' })).toBe('/x');
  });
});
