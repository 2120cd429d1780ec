// The named corners of the bad-input corpus: huge and deeply nested stdin, NUL/unicode/`..`/`/`
// in names, a 16-byte ifname, hostPort 0/65536, overlapping ranges, rule-text injection, a
// dataDir that is a symlink, a file, read-only or full (private mount namespaces), and hostile
// entries planted in the store. Each ends in a valid result or a documented error, and an error
// changes nothing on the host.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { PLUGINS, setPath } from './plugins';
import { cniVars, contractProblem, createWorld, destroyWorld, runPlugin, snapshot, snapshotDiff, type PluginRun, type World } from './world';

let w: World;

beforeAll(() => {
  w = createWorld('tske');
  // Warm-up so first-use residue (bridge, nft tables) predates every comparison.
  for (const role of ['bridge', 'portmap']) {
    const conf = PLUGINS.find((p) => p.role === role)!.conf(w);
    expect(runPlugin(w, role, cniVars(w, 'ADD'), JSON.stringify(conf)).code).toBe(0);
    expect(runPlugin(w, role, cniVars(w, 'DEL'), JSON.stringify(conf)).code).toBe(0);
  }
});

afterAll(() => {
  destroyWorld(w);
  expect(leakedNetns()).toEqual([]);
});

const baseConf = (role: string): Record<string, any> => structuredClone(PLUGINS.find((p) => p.role === role)!.conf(w));
const withKeys = (role: string, kv: Record<string, unknown>): Record<string, any> => {
  const c = baseConf(role);
  for (const [k, v] of Object.entries(kv)) setPath(c, k, v);
  return c;
};

interface Expect {
  /** Error codes accepted; omitted: the call must succeed. */
  codes?: number[];
  /** The error message must name this (the field or variable). */
  names?: RegExp;
}

/** Runs one call and checks the contract; an error must leave the host as it was. */
function expectOutcome(role: string, env: Record<string, string | undefined>, stdin: string | Buffer, exp: Expect, wrap: string[] = []): PluginRun {
  const before = snapshot(w);
  const r = runPlugin(w, role, env, stdin, wrap);
  expect(contractProblem(env.CNI_COMMAND ?? '', r)).toBeUndefined();
  if (exp.codes) {
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(exp.codes, r.stdout).toContain(r.json.code);
    if (exp.names) expect(`${r.json.msg} ${r.json.details ?? ''}`).toMatch(exp.names);
    expect(snapshotDiff(before, snapshot(w))).toBe('');
  } else {
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  return r;
}

/** ADD that must succeed, then DEL with the same input; the host is as before (loosely). */
function expectAddDel(role: string, env: Record<string, string | undefined>, conf: object, wrap: string[] = []): PluginRun {
  const before = snapshot(w, { loose: true });
  const r = expectOutcome(role, { ...env, CNI_COMMAND: 'ADD' }, JSON.stringify(conf), {}, wrap);
  const d = runPlugin(w, role, { ...env, CNI_COMMAND: 'DEL' }, JSON.stringify(conf), wrap);
  expect(d.code, d.stdout).toBe(0);
  expect(snapshotDiff(before, snapshot(w, { loose: true }))).toBe('');
  return r;
}

describe('reliability: stdin', () => {
  it('huge stdin (5 MiB) is refused with code 5 before anything happens', () => {
    const big = JSON.stringify({ ...baseConf('bridge'), pad: 'x'.repeat(5 << 20) });
    expectOutcome('bridge', cniVars(w, 'ADD'), big, { codes: [5], names: /stdin/ });
  });

  it('deeply nested JSON (100,000 levels) ends in a documented error or a result, never a crash', () => {
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const [role, key] of [
      ['portmap', 'prevResult'],
      ['bridge', 'args'],
      ['host-local', 'runtimeConfig'],
    ] as const) {
      const text = JSON.stringify(baseConf(role)).replace(/^\{/, `{"${key}":${nested},`);
      const before = snapshot(w);
      const r = runPlugin(w, role, cniVars(w, 'ADD'), text);
      expect(contractProblem('ADD', r), role).toBeUndefined();
      if (r.code === 0) runPlugin(w, role, cniVars(w, 'DEL'), text);
      else expect(snapshotDiff(before, snapshot(w)), role).toBe('');
    }
  });

  it('not JSON, a JSON array, a JSON string: code 6', () => {
    for (const s of ['{', '[]', '"x"', '', '\u0000']) expectOutcome('bridge', cniVars(w, 'ADD'), s, { codes: [6] });
  });

  it('wrong types for cniVersion and name: codes 6 and 7', () => {
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(withKeys('bridge', { cniVersion: 1 })), { codes: [6], names: /cniVersion/ });
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(withKeys('bridge', { name: ['x'] })), { codes: [7], names: /name/ });
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(withKeys('bridge', { mtu: '1500' })), { codes: [7], names: /mtu/ });
  });
});

describe('reliability: names', () => {
  for (const name of ['..', '.', '../x', 'a/b', '/etc', 'tsk\u0000net', 'tskñet', 'tsk\u202enet', '-x', 'a b']) {
    it(`network name ${JSON.stringify(name)} is refused with code 7`, () => {
      expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(withKeys('bridge', { name })), { codes: [7], names: /network name/ });
      expectOutcome('host-local', cniVars(w, 'DEL'), JSON.stringify(withKeys('host-local', { name })), { codes: [7], names: /network name/ });
    });
  }

  for (const id of ['..', '../../etc', 'a/b', '/x', 'ñ', '-x', 'a b']) {
    it(`container id ${JSON.stringify(id)} is refused with code 4 (ADD and DEL)`, () => {
      expectOutcome('bridge', cniVars(w, 'ADD', { CNI_CONTAINERID: id }), JSON.stringify(baseConf('bridge')), { codes: [4], names: /containerID/ });
      expectOutcome('host-local', cniVars(w, 'DEL', { CNI_CONTAINERID: id }), JSON.stringify(baseConf('host-local')), { codes: [4], names: /containerID/ });
    });
  }

  it('an ifname of 16 bytes (also 15 bytes of multi-byte text + 1) is refused with code 4; 15 bytes works', () => {
    for (const ifname of ['a'.repeat(16), `${'é'.repeat(7)}ab`, '..', 'a/b', 'a:b', 'a b', '']) {
      expectOutcome('bridge', cniVars(w, 'ADD', { CNI_IFNAME: ifname }), JSON.stringify(baseConf('bridge')), { codes: [4], names: /CNI_IFNAME|IFNAME/ });
    }
    const r = expectAddDel('bridge', cniVars(w, 'ADD', { CNI_IFNAME: 'a'.repeat(15) }), baseConf('bridge'));
    expect(r.json.interfaces.some((i: { name: string }) => i.name === 'a'.repeat(15))).toBe(true);
  });

  it('an ifname with a double quote cannot break out of an nft comment', () => {
    const env = cniVars(w, 'ADD', { CNI_IFNAME: 'e"x;}' });
    const before = snapshot(w);
    const r = runPlugin(w, 'bridge', env, JSON.stringify(baseConf('bridge')));
    expect(contractProblem('ADD', r)).toBeUndefined();
    if (r.code === 0) expect(runPlugin(w, 'bridge', { ...env, CNI_COMMAND: 'DEL' }, JSON.stringify(baseConf('bridge'))).code).toBe(0);
    else expect(snapshotDiff(before, snapshot(w))).toBe('');
  });
});

describe('reliability: ports, ranges and rule text', () => {
  for (const pm of [
    { hostPort: 0, containerPort: 80, protocol: 'tcp' },
    { hostPort: 65536, containerPort: 80, protocol: 'tcp' },
    { hostPort: -1, containerPort: 80, protocol: 'tcp' },
    { hostPort: 8080, containerPort: 0, protocol: 'tcp' },
    { hostPort: 8080, containerPort: 80, protocol: 'icmp' },
    { hostPort: 8080.5, containerPort: 80, protocol: 'tcp' },
    { hostPort: '8080', containerPort: 80, protocol: 'tcp' },
    { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '300.0.0.1' },
  ]) {
    it(`portMapping ${JSON.stringify(pm)} is refused with code 7 on both backends`, () => {
      for (const backend of ['nftables', 'iptables']) {
        const conf = withKeys('portmap', { backend, 'runtimeConfig.portMappings': [pm] });
        expectOutcome('portmap', cniVars(w, 'ADD'), JSON.stringify(conf), { codes: [7], names: /port|protocol|hostIP/i });
      }
    });
  }

  it('overlapping ranges are refused with code 7 naming the ranges', () => {
    for (const ranges of [
      [[{ subnet: '10.232.5.0/24' }], [{ subnet: '10.232.5.128/25' }]],
      [[{ subnet: '10.232.5.0/24' }, { subnet: '10.232.5.0/24' }]],
    ]) {
      const conf = withKeys('host-local', { 'ipam.subnet': undefined, 'ipam.ranges': ranges });
      expectOutcome('host-local', cniVars(w, 'ADD'), JSON.stringify(conf), { codes: [7], names: /overlap|range/i });
    }
  });

  it('rule text cannot be injected through portmap conditions (nft and iptables)', () => {
    for (const [backend, conds] of [
      ['nftables', ['ip saddr 10.0.0.1\nadd table inet tskpwn']],
      ['nftables', ['ip saddr 10.0.0.1; add table inet tskpwn']],
      ['iptables', ['-s', '10.0.0.1\n-A INPUT -m comment --comment tskpwn -j ACCEPT']],
    ] as const) {
      const conf = withKeys('portmap', { backend, conditionsV4: conds });
      const before = snapshot(w);
      const r = runPlugin(w, 'portmap', cniVars(w, 'ADD'), JSON.stringify(conf));
      expect(contractProblem('ADD', r)).toBeUndefined();
      if (r.code === 0) runPlugin(w, 'portmap', cniVars(w, 'DEL'), JSON.stringify(conf));
      else expect(snapshotDiff(before, snapshot(w))).toBe('');
      const s = snapshot(w);
      expect(s.nft).not.toContain('tskpwn');
      expect(s.iptables).not.toContain('tskpwn');
    }
  });
});

describe('reliability: the store', () => {
  const fresh = (name: string): string => {
    const d = path.join(w.dir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  it('a dataDir that is a symlink is followed (documented), and DEL empties the target', () => {
    const target = fresh('symlink-target');
    const link = path.join(w.dir, 'symlink-data');
    fs.symlinkSync(target, link);
    const conf = withKeys('bridge', { 'ipam.dataDir': link });
    const before = snapshot(w, { loose: true });
    const r = runPlugin(w, 'bridge', cniVars(w, 'ADD'), JSON.stringify(conf));
    expect(r.code, r.stdout).toBe(0);
    const ip = r.json.ips[0].address.split('/')[0];
    expect(fs.readFileSync(path.join(target, 'tsknet', ip), 'utf8')).toBe('tskcid\r\neth0');
    expect(runPlugin(w, 'bridge', cniVars(w, 'DEL'), JSON.stringify(conf)).code).toBe(0);
    expect(fs.existsSync(path.join(target, 'tsknet', ip))).toBe(false);
    expect(snapshotDiff(before, snapshot(w, { loose: true }))).toBe('');
  });

  it('a dataDir that is a regular file: documented error, bridge rolls back', () => {
    const file = path.join(w.dir, 'data-is-a-file');
    fs.writeFileSync(file, 'not a directory');
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(withKeys('bridge', { 'ipam.dataDir': file })), { codes: [5, 7] });
    expect(fs.readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('a read-only dataDir (bind mount in a private mount ns): code 5, bridge rolls back, nothing written', () => {
    const d = fresh('readonly-data');
    const wrap = ['unshare', '-m', 'sh', '-c', `mount --bind ${d} ${d} && mount -o remount,bind,ro ${d} && exec "$0"`];
    const conf = withKeys('bridge', { 'ipam.dataDir': d });
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(conf), { codes: [5] }, wrap);
    expect(fs.readdirSync(d)).toEqual([]);
    // DEL and GC on that store still answer (nothing to release is not an error worth failing).
    const del = runPlugin(w, 'bridge', cniVars(w, 'DEL'), JSON.stringify(conf), wrap);
    expect(contractProblem('DEL', del)).toBeUndefined();
  });

  it('a full disk (8 KiB tmpfs, filled, in a private mount ns): documented error, bridge rolls back', () => {
    const d = fresh('full-data');
    const wrap = ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o size=8k tsk-full ${d} && (dd if=/dev/zero of=${d}/fill bs=1k count=64 2>/dev/null; true) && exec "$0"`];
    const conf = withKeys('bridge', { 'ipam.dataDir': d });
    expectOutcome('bridge', cniVars(w, 'ADD'), JSON.stringify(conf), { codes: [5, 110] }, wrap);
    // The tmpfs lived only in that process's mount namespace.
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('planted symlinks in the store are never written through, and GC/DEL leave their targets alone', () => {
    const d = fresh('planted-data');
    const victim = path.join(w.dir, 'victim');
    fs.writeFileSync(victim, 'precious');
    fs.mkdirSync(path.join(d, 'tsknet'), { recursive: true });
    // The first address the allocator would pick, the allocator hint and the lock, as symlinks.
    fs.symlinkSync(victim, path.join(d, 'tsknet', '10.232.2.2'));
    fs.symlinkSync(victim, path.join(d, 'tsknet', 'last_reserved_ip.0'));
    const conf = withKeys('bridge', { 'ipam.dataDir': d });
    const r = runPlugin(w, 'bridge', cniVars(w, 'ADD'), JSON.stringify(conf));
    expect(contractProblem('ADD', r)).toBeUndefined();
    if (r.code === 0) expect(r.json.ips[0].address).not.toBe('10.232.2.2/24');
    expect(runPlugin(w, 'bridge', cniVars(w, 'DEL'), JSON.stringify(conf)).code).toBe(0);
    const gc = runPlugin(w, 'host-local', { CNI_COMMAND: 'GC', CNI_PATH: cniVars(w, 'GC').CNI_PATH }, JSON.stringify({ ...withKeys('host-local', { 'ipam.dataDir': d }), 'cni.dev/valid-attachments': [] }));
    expect(contractProblem('GC', gc)).toBeUndefined();
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(fs.lstatSync(victim).isFile()).toBe(true);
  });
});
