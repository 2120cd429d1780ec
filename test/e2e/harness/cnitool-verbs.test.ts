// cnitool add/check/del/status against the reference Go plugins, checked like the measured Go
// cnitool run in test/unit/runtime/fixtures.ts:
// output bytes, cache file field by field, host-local files and kernel state.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, leakedNetns, netnsPath } from '../../helpers/netns';
import { HarnessEnv, addrsOf, goCnitoolId, keyOrders, linkNames } from './harness-env';

const h = new HarnessEnv();
let host: string;
let listFile: string;
const CAP_ARGS = JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });

beforeAll(() => {
  host = createNetns('thn-host');
  listFile = h.writeConflist('10-thnpm.conflist', h.bridgeList('thnpm', 'thnbr1', '10.231.1.0/24', { portmap: true }));
  h.writeConflist('20-thnbr.conflist', h.bridgeList('thnbr', 'thnbr2', '10.231.2.0/24'));
  h.writeConflist('30-thnnew.conflist', h.bridgeList('thnnew', 'thnbr3', '10.231.3.0/24', { version: '1.1.0' }));
});
afterAll(() => {
  deleteAllNetns();
  h.cleanup();
  expect(leakedNetns()).toEqual([]);
});

describe('cnitool add / check / status / del with the reference plugins', () => {
  let ctr: string;
  let cid: string;
  let added: any;

  it('add prints the result as the Go cnitool does and configures the container', () => {
    ctr = createNetns('thn-c');
    cid = goCnitoolId(netnsPath(ctr));
    const r = h.cnitool(['add', 'thnpm', netnsPath(ctr)], { host, env: { CAP_ARGS } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('}')).toBe(true); // no trailing newline
    added = JSON.parse(r.stdout);
    expect(r.stdout).toBe(JSON.stringify(added, null, 4));
    // libcni re-marshals 1.x results through a map: every key list is sorted (mac before name).
    for (const keys of keyOrders(added)) expect(keys).toEqual([...keys].sort());
    expect(added.cniVersion).toBe('1.0.0');
    expect(added.interfaces.map((i: any) => i.name)).toEqual(['thnbr1', expect.stringMatching(/^veth/), 'eth0']);
    expect(added.interfaces[2].sandbox).toBe(netnsPath(ctr));
    expect(added.ips).toEqual([{ address: '10.231.1.2/24', gateway: '10.231.1.1', interface: 2 }]);
    expect(added.dns).toBeUndefined();
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.231.1.2/24']);
    expect(addrsOf(host, 'thnbr1')).toEqual(['10.231.1.1/24']);
  });

  it('writes the libcni cache file, field by field as the Go cnitool wrote it (fixtures.ts)', () => {
    const file = h.cacheFile('thnpm', cid);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${h.cache}/results`).mode & 0o777).toBe(0o700);
    const text = fs.readFileSync(file, 'utf8');
    const c = JSON.parse(text);
    expect(Object.keys(c)).toEqual(['kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'capabilityArgs', 'result']);
    expect(c.kind).toBe('cniCacheV1');
    expect(c.containerId).toBe(cid);
    expect(Buffer.from(c.config, 'base64').equals(fs.readFileSync(listFile))).toBe(true);
    expect(c.ifName).toBe('eth0');
    expect(c.networkName).toBe('thnpm');
    expect(c.netns).toBe(netnsPath(ctr));
    expect(text).toContain('"capabilityArgs":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]}');
    expect(c.result).toEqual(added);
    expect(text.endsWith(`"routes":[{"dst":"0.0.0.0/0"}]}}`)).toBe(true);
  });

  it('the reference host-local recorded the derived container id', () => {
    expect(h.leaseFiles('thnpm')).toEqual(['10.231.1.2']);
    expect(fs.readFileSync(`${h.ipam}/thnpm/10.231.1.2`, 'utf8')).toBe(`${cid}\r\neth0`);
  });

  it('check reports the plugin error unwrapped (1.1.1 portmap v6 bug, as measured)', () => {
    const r = h.cnitool(['check', 'thnpm', netnsPath(ctr)], { host, env: { CAP_ARGS } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^could not check ipv6 dnat: chain CNI-DN-[0-9a-f]{21} not found in iptables table nat\n$/);
  });

  it('status on a 1.0.0 list succeeds silently', () => {
    const r = h.cnitool(['status', 'thnpm', netnsPath(ctr)], { host });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('del tears down, releases the IP, removes the cache; a second del succeeds', () => {
    const r = h.cnitool(['del', 'thnpm', netnsPath(ctr)], { host, env: { CAP_ARGS } });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(fs.existsSync(h.cacheFile('thnpm', cid))).toBe(false);
    expect(h.leaseFiles('thnpm')).toEqual([]);
    expect(linkNames(ctr)).toEqual(['lo']);
    const again = h.cnitool(['del', 'thnpm', netnsPath(ctr)], { host, env: { CAP_ARGS } });
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('check passes the cached result to the plugins', () => {
  it('succeeds with the cache and fails once the cache is gone', () => {
    const ctr = createNetns('thn-c');
    const add = h.cnitool(['add', 'thnbr', netnsPath(ctr)], { host });
    expect(add.code, add.stderr).toBe(0);
    const ok = h.cnitool(['check', 'thnbr', netnsPath(ctr)], { host });
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    const file = h.cacheFile('thnbr', goCnitoolId(netnsPath(ctr)));
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    try {
      const noPrev = h.cnitool(['check', 'thnbr', netnsPath(ctr)], { host });
      expect(noPrev.code).toBe(1);
      expect(noPrev.stderr).toMatch(/prevResult/i);
    } finally {
      fs.writeFileSync(file, saved, { mode: 0o600 });
    }
    // Kernel state diverging from the cached result is what CHECK exists to catch.
    const del = h.cnitool(['del', 'thnbr', netnsPath(ctr)], { host });
    expect(del.code, del.stderr).toBe(0);
  });
});

describe('interface name, CNI_ARGS and errors', () => {
  it('-i wins over CNI_IFNAME, which wins over the eth0 default', () => {
    const ctr = createNetns('thn-c');
    const a = h.cnitool(['add', 'thnbr', netnsPath(ctr), '-i', 'eth5'], { host, env: { CNI_IFNAME: 'eth7' } });
    expect(a.code, a.stderr).toBe(0);
    const b = h.cnitool(['add', 'thnpm', netnsPath(ctr)], { host, env: { CNI_IFNAME: 'eth7' } });
    expect(b.code, b.stderr).toBe(0);
    expect(linkNames(ctr).sort()).toEqual(['eth5', 'eth7', 'lo']);
    expect(fs.existsSync(h.cacheFile('thnbr', goCnitoolId(netnsPath(ctr)), 'eth5'))).toBe(true);
    expect(h.cnitool(['del', 'thnbr', netnsPath(ctr), '--ifname=eth5'], { host }).code).toBe(0);
    expect(h.cnitool(['del', 'thnpm', netnsPath(ctr)], { host, env: { CNI_IFNAME: 'eth7' } }).code).toBe(0);
    expect(linkNames(ctr)).toEqual(['lo']);
  });

  it('passes CNI_ARGS to the plugins and caches them as pairs', () => {
    const ctr = createNetns('thn-c');
    const env = { CNI_ARGS: 'IgnoreUnknown=1;IP=10.231.2.77' };
    const a = h.cnitool(['add', 'thnbr', netnsPath(ctr)], { host, env });
    expect(a.code, a.stderr).toBe(0);
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.231.2.77/24']);
    const c = JSON.parse(fs.readFileSync(h.cacheFile('thnbr', goCnitoolId(netnsPath(ctr))), 'utf8'));
    expect(c.cniArgs).toEqual([
      ['IgnoreUnknown', '1'],
      ['IP', '10.231.2.77'],
    ]);
    expect(h.cnitool(['del', 'thnbr', netnsPath(ctr)], { host, env }).code).toBe(0);
    expect(h.leaseFiles('thnbr')).toEqual([]);
  });

  it('rejects a malformed CNI_ARGS pair before running anything', () => {
    const ctr = createNetns('thn-c');
    const r = h.cnitool(['add', 'thnbr', netnsPath(ctr)], { host, env: { CNI_ARGS: 'IP=1;oops' } });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'invalid CNI_ARGS pair "oops"\n']);
    expect(linkNames(ctr)).toEqual(['lo']);
  });

  it('a 1.1.0 list against the 1.1.1 plugins fails like the Go cnitool and caches nothing', () => {
    const ctr = createNetns('thn-c');
    const r = h.cnitool(['add', 'thnnew', netnsPath(ctr)], { host });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'plugin type="bridge" failed (add): incompatible CNI versions; config is "1.1.0", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0"]\n',
    );
    expect(fs.existsSync(h.cacheFile('thnnew', goCnitoolId(netnsPath(ctr))))).toBe(false);
  });

  it('derives the same container id from a relative netns path', () => {
    const ctr = createNetns('thn-c');
    const r = h.cnitool(['add', 'thnbr', ctr], { host, cwd: '/var/run/netns', env: { PWD: '/var/run/netns' } });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(h.cacheFile('thnbr', goCnitoolId(netnsPath(ctr))))).toBe(true);
    expect(h.cnitool(['del', 'thnbr', netnsPath(ctr)], { host }).code).toBe(0);
  });

  it('prints usage and exits 1 when arguments are missing', () => {
    const r = h.cnitool(['add', 'thnbr']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cnitool add    <net> <netns>');
    expect(h.cnitool(['help']).code).toBe(0);
  });
});
