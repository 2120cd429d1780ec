import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NoConfigsFoundError, NotFoundError, listNetworks, loadNetworkList, networkListFromBytes } from '../../../shared/runtime/conf-loader';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thn-conf-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

function dirWith(files: Record<string, string | object>): string {
  const dir = path.join(root, `d${n++}`);
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  }
  return dir;
}

const list = (name: string, extra: object = {}) => ({ cniVersion: '1.0.0', name, plugins: [{ type: 'bridge' }], ...extra });
const parse = (o: unknown) => networkListFromBytes(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)));

describe('loading a network by name (libcni LoadNetworkConf)', () => {
  it('takes the first .conflist in lexical order that has the name, keeping its bytes', () => {
    const dir = dirWith({ '20-b.conflist': list('net', { plugins: [{ type: 'second' }] }), '10-a.conflist': list('net'), '05-x.conflist': list('other') });
    const l = loadNetworkList(dir, 'net');
    expect(l.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(l.file).toBe(path.join(dir, '10-a.conflist'));
    expect(l.bytes.toString()).toBe(fs.readFileSync(path.join(dir, '10-a.conflist'), 'utf8'));
  });

  it('aborts on a broken conflist that sorts before the match', () => {
    const dir = dirWith({ '01-bad.conflist': '{not json', '10-a.conflist': list('net') });
    expect(() => loadNetworkList(dir, 'net')).toThrow(/^error parsing configuration list: /);
  });

  it('falls back to .conf/.json single configs, wrapped as a one-plugin list', () => {
    const dir = dirWith({ '10-a.conflist': list('other'), '20-s.conf': { cniVersion: '0.4.0', name: 'single', type: 'bridge', mtu: 1400 } });
    const l = loadNetworkList(dir, 'single');
    expect(l.cniVersion).toBe('0.4.0');
    expect(l.plugins[0]!.json).toEqual({ cniVersion: '0.4.0', name: 'single', type: 'bridge', mtu: 1400 });
    // libcni caches a re-marshalled list for these (map keys sorted).
    expect(l.bytes.toString()).toBe('{"cniVersion":"0.4.0","name":"single","plugins":[{"cniVersion":"0.4.0","mtu":1400,"name":"single","type":"bridge"}]}');
  });

  it('appends plugins from <dir>/<network>/*.conf unless loadOnlyInlinedPlugins', () => {
    const dir = dirWith({ '10-a.conflist': list('net'), 'net/1.conf': { type: 'portmap' }, 'net/2.json': { type: 'ignored' } });
    expect(loadNetworkList(dir, 'net').plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    const only = dirWith({ '10-a.conflist': list('net', { loadOnlyInlinedPlugins: true }), 'net/1.conf': { type: 'portmap' } });
    expect(loadNetworkList(only, 'net').plugins.map((p) => p.type)).toEqual(['bridge']);
    const dirOnly = dirWith({ '10-a.conflist': { cniVersion: '1.1.0', name: 'net' }, 'net/1.conf': { type: 'portmap' } });
    expect(loadNetworkList(dirOnly, 'net').plugins.map((p) => p.type)).toEqual(['portmap']);
  });

  it('says which of "nothing here" and "not this name" happened', () => {
    expect(() => loadNetworkList(path.join(root, 'absent'), 'x')).toThrow(NoConfigsFoundError);
    expect(() => loadNetworkList(path.join(root, 'absent'), 'x')).toThrow(`no net configurations found in ${path.join(root, 'absent')}`);
    const dir = dirWith({ '10-a.conflist': list('net') });
    expect(() => loadNetworkList(dir, 'x')).toThrow(NotFoundError);
    expect(() => loadNetworkList(dir, 'x')).toThrow(`no net configuration with name "x" in ${dir}`);
  });
});

describe('conflist validation (same classes of error as libcni)', () => {
  it('rejects bad JSON, a missing name, an empty or wrongly typed plugin list', () => {
    expect(() => parse('{')).toThrow(/^error parsing configuration list: /);
    expect(() => parse({ plugins: [{ type: 'x' }] })).toThrow('error parsing configuration list: no name');
    expect(() => parse({ name: 7 })).toThrow('invalid name type float64');
    expect(() => parse(list('n', { plugins: [] }))).toThrow('error parsing configuration list: no plugins in list');
    expect(() => parse(list('n', { plugins: {} }))).toThrow("invalid 'plugins' type map[string]interface {}");
    expect(() => parse({ name: 'n', loadOnlyInlinedPlugins: true })).toThrow("`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
  });

  it('requires a type on each plugin and names its index', () => {
    expect(() => parse(list('n', { plugins: [{ type: 'a' }, { mtu: 1 }] }))).toThrow("failed to parse plugin config 1: error parsing configuration: missing 'type'");
    expect(() => parse(list('n', { plugins: [{ type: 'a', capabilities: { x: 'yes' } }] }))).toThrow(/plugin config 0: .*capabilities.x/);
  });

  it('selects the highest cniVersions entry this runtime implements', () => {
    expect(parse(list('n', { cniVersion: '0.4.0', cniVersions: ['1.0.0', '0.3.1', '2.0.0'] })).cniVersion).toBe('1.0.0');
    expect(parse(list('n', { cniVersion: '1.1.0', cniVersions: ['1.0.0'] })).cniVersion).toBe('1.1.0');
    expect(parse(list('n', { cniVersion: undefined, cniVersions: ['9.0.0'] })).cniVersion).toBe('');
    expect(parse(list('n', { cniVersion: '0.3.1' })).cniVersion).toBe('0.3.1');
  });

  it('rejects bad cniVersions entries', () => {
    expect(() => parse(list('n', { cniVersions: '1.0.0' }))).toThrow('invalid type for cniVersions: string');
    expect(() => parse(list('n', { cniVersions: [1] }))).toThrow('invalid type for cniVersions index 0: float64');
    expect(() => parse(list('n', { cniVersions: ['1.0.0', 'one'] }))).toThrow('invalid cniVersions entry one at index 1');
    expect(() => parse(list('n', { cniVersions: ['1.0.0.0'] }))).toThrow(/invalid cniVersions entry 1\.0\.0\.0/);
    expect(() => parse(list('n', { cniVersion: 4 }))).toThrow('invalid cniVersion type float64');
  });

  it('reads disableCheck/disableGC as bools or "true"/"false" strings only', () => {
    expect(parse(list('n', { disableCheck: 'TRUE', disableGC: false })).disableCheck).toBe(true);
    expect(parse(list('n', { disableGC: 'false' })).disableGC).toBe(false);
    expect(() => parse(list('n', { disableCheck: 'yes' }))).toThrow('invalid value "yes" for disableCheck');
    expect(() => parse(list('n', { disableGC: 1 }))).toThrow('invalid type float64 for disableGC');
  });

  it('collects capabilities and the plugin name used in error messages', () => {
    const l = parse(list('n', { plugins: [{ type: 'portmap', name: 'pm', capabilities: { portMappings: true, mac: false } }] }));
    expect(l.plugins[0]).toMatchObject({ type: 'portmap', name: 'pm', capabilities: { portMappings: true, mac: false } });
  });
});

describe('listing networks (network ls)', () => {
  it('lists every network once, first definition wins, and reports broken files', () => {
    const dir = dirWith({ '10-a.conflist': list('a'), '20-b.conflist': list('a'), '30-bad.conflist': '[', '40-s.conf': { name: 's', type: 'bridge' }, '50-s.json': { name: 's', type: 'x' } });
    const entries = listNetworks(dir);
    expect(entries.filter((e) => e.list).map((e) => [e.list!.name, path.basename(e.file)])).toEqual([
      ['a', '10-a.conflist'],
      ['s', '40-s.conf'],
    ]);
    expect(entries.filter((e) => e.error).map((e) => path.basename(e.file))).toEqual(['30-bad.conflist']);
  });
});
