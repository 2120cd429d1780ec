// The built loopback executable, run as a runtime would, against real namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { createNetns, deleteAllNetns, deleteNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';

const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
let host: string;

function loState(ns: string): { up: boolean; addrs: string[] } {
  const [lo] = JSON.parse(inNetns(ns, ['ip', '-j', 'addr', 'show', 'dev', 'lo']));
  return { up: lo.flags.includes('UP'), addrs: lo.addr_info.map((a: any) => `${a.local}/${a.prefixlen}`) };
}

function fresh(): string {
  const ns = createNetns('tlo');
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'down']);
  return ns;
}

const env = (cmd: string, ns: string, extra: Record<string, string> = {}) =>
  cniEnv(cmd, { CNI_CONTAINERID: 'ctr-1', CNI_NETNS: netnsPath(ns), CNI_IFNAME: 'lo', ...extra });

beforeAll(() => {
  host = createNetns('tlo-host');
});
afterAll(() => {
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});

describe('loopback, every verb and version', () => {
  for (const v of VERSIONS) {
    it(`ADD/CHECK/DEL at ${v}`, () => {
      const ns = fresh();
      expect(loState(ns).up).toBe(false);
      const add = run('loopback', { netns: host, env: env('ADD', ns), stdin: { cniVersion: v, name: 'lonet', type: 'loopback' } });
      expect(add.code, add.stdout + add.stderr).toBe(0);
      expect(add.json.cniVersion).toBe(v);
      if (v < '0.3.0') {
        expect(add.json.ip4.ip).toBe('127.0.0.1/8');
        expect(add.json.ip6.ip).toBe('::1/128');
      } else {
        expect(add.json.interfaces).toEqual([{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: netnsPath(ns) }]);
        expect(add.json.ips.map((i: any) => i.address)).toEqual(['127.0.0.1/8', '::1/128']);
        expect(add.json.ips[0].interface).toBe(0);
      }
      expect(loState(ns).up).toBe(true);
      const check = run('loopback', { netns: host, env: env('CHECK', ns), stdin: { cniVersion: v, name: 'lonet', type: 'loopback' } });
      if (v >= '0.4.0') expect(check.code, check.stdout).toBe(0);
      else expect(check.json.code).toBe(1);
      const del = run('loopback', { netns: host, env: env('DEL', ns), stdin: { cniVersion: v, name: 'lonet', type: 'loopback' } });
      expect(del.code, del.stdout).toBe(0);
      expect(del.stdout).toBe('');
      expect(loState(ns).up).toBe(false);
      deleteNetns(ns);
    });
  }

  it('passes prevResult through unchanged when not first in the chain', () => {
    const ns = fresh();
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24', gateway: '10.0.0.1' }] };
    const add = run('loopback', { netns: host, env: env('ADD', ns), stdin: { cniVersion: '1.0.0', name: 'lonet', type: 'loopback', prevResult: prev } });
    expect(add.json).toEqual(prev);
    deleteNetns(ns);
  });

  it('CHECK fails when lo went down', () => {
    const ns = fresh();
    run('loopback', { netns: host, env: env('ADD', ns), stdin: { cniVersion: '1.0.0', name: 'lonet' } });
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'down']);
    const check = run('loopback', { netns: host, env: env('CHECK', ns), stdin: { cniVersion: '1.0.0', name: 'lonet' } });
    expect(check.code).not.toBe(0);
    expect(check.json.msg).toBe('loopback interface is down');
    deleteNetns(ns);
  });

  it('ADD refuses lo carrying a non-loopback address and leaves it down', () => {
    const ns = fresh();
    sh(['ip', '-n', ns, 'addr', 'add', '192.0.2.7/32', 'dev', 'lo']);
    const add = run('loopback', { netns: host, env: env('ADD', ns), stdin: { cniVersion: '1.0.0', name: 'lonet' } });
    expect(add.code).not.toBe(0);
    expect(add.json.msg).toMatch(/non-loopback address 192\.0\.2\.7\/32/);
    expect(loState(ns).up).toBe(false);
    deleteNetns(ns);
  });

  it('DEL is idempotent and succeeds when the netns is gone or empty', () => {
    const ns = fresh();
    const stdin = { cniVersion: '1.0.0', name: 'lonet' };
    run('loopback', { netns: host, env: env('ADD', ns), stdin });
    expect(run('loopback', { netns: host, env: env('DEL', ns), stdin }).code).toBe(0);
    expect(run('loopback', { netns: host, env: env('DEL', ns), stdin }).code).toBe(0);
    deleteNetns(ns);
    expect(run('loopback', { netns: host, env: env('DEL', ns), stdin }).code).toBe(0);
    expect(run('loopback', { netns: host, env: { ...env('DEL', ns), CNI_NETNS: '' }, stdin }).code).toBe(0);
  });

  it('STATUS and GC at 1.1.0 succeed silently', () => {
    for (const cmd of ['STATUS', 'GC']) {
      const r = run('loopback', { netns: host, env: cniEnv(cmd), stdin: { cniVersion: '1.1.0', name: 'lonet' } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
    }
  });
});

describe('loopback, bad input changes nothing', () => {
  const cases: [string, (ns: string) => { env: Record<string, string | undefined>; stdin: string | object }, number, RegExp][] = [
    ['missing env', (ns) => ({ env: { CNI_COMMAND: 'ADD', CNI_NETNS: netnsPath(ns) }, stdin: { cniVersion: '1.0.0', name: 'n' } }), 4, /CNI_CONTAINERID,CNI_IFNAME,CNI_PATH/],
    ['bad JSON', (ns) => ({ env: env('ADD', ns), stdin: '{"cniVersion":' }), 6, /unmarshall/],
    ['oversized stdin', (ns) => ({ env: env('ADD', ns), stdin: JSON.stringify({ cniVersion: '1.0.0', name: 'n', pad: 'x'.repeat(5 << 20) }) }), 5, /larger than/],
    ['unsupported cniVersion', (ns) => ({ env: env('ADD', ns), stdin: { cniVersion: '2.0.0', name: 'n' } }), 1, /incompatible CNI versions/],
    ['ifname with /', (ns) => ({ env: env('ADD', ns, { CNI_IFNAME: 'a/b' }), stdin: { cniVersion: '1.0.0', name: 'n' } }), 4, /CNI_IFNAME/],
    ['container id with ..', (ns) => ({ env: env('ADD', ns, { CNI_CONTAINERID: '../x' }), stdin: { cniVersion: '1.0.0', name: 'n' } }), 4, /containerID/],
    ['network name with /', (ns) => ({ env: env('ADD', ns), stdin: { cniVersion: '1.0.0', name: 'a/b' } }), 7, /network name/],
    ['nonexistent netns', () => ({ env: { ...env('ADD', 'x'), CNI_NETNS: '/var/run/netns/does-not-exist-tlo' }, stdin: { cniVersion: '1.0.0', name: 'n' } }), 3, /does not exist/],
  ];
  for (const [what, mk, code, msg] of cases) {
    it(what, () => {
      const ns = fresh();
      const before = inNetns(ns, ['ip', '-j', 'addr']);
      const { env: e, stdin } = mk(ns);
      const r = run('loopback', { netns: host, env: e, stdin });
      expect(r.code).not.toBe(0);
      expect(r.json.code, r.stdout).toBe(code);
      expect(r.json.msg + (r.json.details ?? '')).toMatch(msg);
      expect(inNetns(ns, ['ip', '-j', 'addr'])).toBe(before);
      deleteNetns(ns);
    });
  }
});
