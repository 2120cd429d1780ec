// Broken config directories fail like the Go cnitool: one line on stderr, exit 1, and nothing
// changes on the host (no links, no cache).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { HarnessEnv, linkNames } from './harness-env';

const h = new HarnessEnv();
let host: string;
let ctr: string;

beforeAll(() => {
  host = createNetns('thn-host');
  ctr = createNetns('thn-c');
});
afterAll(() => {
  deleteAllNetns();
  h.cleanup();
  expect(leakedNetns()).toEqual([]);
});

function dirWith(files: Record<string, string | object>): string {
  const dir = fs.mkdtempSync(path.join(h.root, 'nc-'));
  for (const [f, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const good = { cniVersion: '1.0.0', name: 'thnok', plugins: [{ type: 'bridge', bridge: 'thnbr8', ipam: { type: 'host-local', subnet: '10.231.8.0/24' } }] };

const cases: Array<[string, Record<string, string | object>, RegExp]> = [
  ['bad JSON in an earlier file', { '00-bad.conflist': '{"cniVersion": "1.0.0", "name": ', '10-ok.conflist': good }, /^error parsing configuration list: .+\n$/],
  ['no plugins', { '10-ok.conflist': { ...good, plugins: [] } }, /^error parsing configuration list: no plugins in list\n$/],
  ['plugin without type', { '10-ok.conflist': { ...good, plugins: [{ bridge: 'x' }] } }, /^failed to parse plugin config 0: error parsing configuration: missing 'type'\n$/],
  ['unknown type', { '10-ok.conflist': { ...good, plugins: [{ type: 'nosuch' }] } }, /^plugin type="nosuch" failed \(add\): failed to find plugin "nosuch" in path \[\/usr\/lib\/cni\]\n$/],
  ['type with a path', { '10-ok.conflist': { ...good, plugins: [{ type: '../bin/sh' }] } }, /^plugin type="..\/bin\/sh" failed \(add\): invalid plugin name: ..\/bin\/sh\n$/],
  ['bad cniVersions entry', { '10-ok.conflist': { ...good, cniVersions: ['1.0.0', 'v2'] } }, /^error parsing configuration list: invalid cniVersions entry v2 at index 1: .+\n$/],
  ['cniVersions not a list', { '10-ok.conflist': { ...good, cniVersions: '1.0.0' } }, /^error parsing configuration list: invalid type for cniVersions: string\n$/],
  ['unknown network', { '10-other.conflist': { ...good, name: 'other' } }, /^no net configuration with name "thnok" in .+\n$/],
  ['empty directory', {}, /^no net configurations found in .+\n$/],
];

describe('malformed network configurations', () => {
  for (const [what, files, message] of cases) {
    it(`${what}: exit 1, one line on stderr, no host change`, () => {
      const dir = dirWith(files);
      const before = linkNames(host);
      const r = h.cnitool(['add', 'thnok', netnsPath(ctr)], { host, env: { NETCONFPATH: dir } });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(linkNames(host)).toEqual(before);
      expect(linkNames(ctr)).toEqual(['lo']);
      expect(fs.existsSync(`${h.cache}/results`)).toBe(false);
    });
  }

  it('a bad CAP_ARGS is reported before anything runs', () => {
    const dir = dirWith({ '10-ok.conflist': good });
    const r = h.cnitool(['add', 'thnok', netnsPath(ctr)], { host, env: { NETCONFPATH: dir, CAP_ARGS: '[1]' } });
    expect([r.code, r.stderr]).toEqual([1, 'json: cannot unmarshal array into Go value of type map[string]interface {}\n']);
    expect(sh(['ip', '-n', host, '-j', 'link', 'show', 'type', 'bridge']).trim()).toBe('[]');
  });
});
