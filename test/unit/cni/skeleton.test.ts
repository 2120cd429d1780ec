import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { containerArgs, macArg, parseCniArgs } from '../../../shared/cni/args';
import { readEnv } from '../../../shared/cni/env';
import { CniError } from '../../../shared/cni/error';
import { interfaceNameProblem, validateContainerId, validateNetworkName } from '../../../shared/cni/names';
import { netConfSchema, parseConfig, validAttachments } from '../../../shared/cni/netconf';
import { runPlugin, type Plugin } from '../../../shared/cni/skel';
import { NotANetnsError, openNetns } from '../../../shared/netns/netns';
import { compareVersions, requireSupported, resultFamily } from '../../../shared/cni/version';

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CniError ? e.code : -1;
  }
  return undefined;
}

describe('CNI_ARGS', () => {
  it('parses pairs and rejects malformed ones', () => {
    expect([...parseCniArgs('IgnoreUnknown=1;IP=10.0.0.2;K8S_POD_NAME=web')]).toEqual([
      ['IgnoreUnknown', '1'],
      ['IP', '10.0.0.2'],
      ['K8S_POD_NAME', 'web'],
    ]);
    expect(codeOf(() => parseCniArgs('A=1=2'))).toBe(4);
    expect(codeOf(() => parseCniArgs('=x'))).toBe(4);
    expect(codeOf(() => parseCniArgs('A='))).toBe(4);
  });
  it('refuses unknown keys unless IgnoreUnknown is 1 or true (libcni LoadArgs)', () => {
    const args = (s: string) => containerArgs(parseCniArgs(s));
    expect(() => args('FOO=1')).toThrow(/unknown args \["FOO"\]/);
    expect(codeOf(() => args('FOO=1;BAR=2'))).toBe(4);
    expect(codeOf(() => args('IgnoreUnknown=0;FOO=1'))).toBe(4);
    expect(codeOf(() => args('IgnoreUnknown=false;FOO=1'))).toBe(4);
    expect(args('IgnoreUnknown=true;FOO=1;IP=1.2.3.4')).toEqual({ IP: '1.2.3.4' });
    expect(args('IgnoreUnknown=1;FOO=1')).toEqual({});
    expect(args('IgnoreUnknown=TRUE;FOO=1')).toEqual({});
  });
  it('one allow-list for every plugin: the keys the suite reads and the K8S_* keys runtimes send', () => {
    const k8s = 'K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u1';
    expect(containerArgs(parseCniArgs(`IP=10.0.0.2;MAC=c2:11:22:33:44:55;${k8s}`))).toEqual({
      IP: '10.0.0.2',
      MAC: 'c2:11:22:33:44:55',
      K8S_POD_NAMESPACE: 'ns',
      K8S_POD_NAME: 'web',
      K8S_POD_INFRA_CONTAINER_ID: 'abc',
      K8S_POD_UID: 'u1',
    });
    // What used to differ between plugins: IP= without IgnoreUnknown where only MAC is read.
    expect(macArg(parseCniArgs('IP=10.0.0.2'))).toBeUndefined();
  });
  it('an IgnoreUnknown that is not a boolean is code 4, even without unknown keys', () => {
    expect(codeOf(() => containerArgs(parseCniArgs('IgnoreUnknown=yes;IP=10.0.0.2')))).toBe(4);
  });
  it('MAC= is checked and named', () => {
    expect(macArg(parseCniArgs('MAC=C2:11:22:33:44:55'))).toBe('C2:11:22:33:44:55');
    expect(() => macArg(parseCniArgs('MAC=c2:11:22'))).toThrow(/invalid MAC address "c2:11:22" in CNI_ARGS MAC/);
    expect(macArg(new Map())).toBeUndefined();
  });
});

describe('names', () => {
  it('network names and container ids follow the spec pattern', () => {
    expect(validateNetworkName('net-1_a.b')).toBe('net-1_a.b');
    expect(codeOf(() => validateNetworkName(''))).toBe(7);
    expect(codeOf(() => validateNetworkName('../etc'))).toBe(7);
    expect(codeOf(() => validateNetworkName('-x'))).toBe(7);
    expect(codeOf(() => validateContainerId(''))).toBe(3);
    expect(codeOf(() => validateContainerId('a/b'))).toBe(4);
    expect(codeOf(() => validateContainerId('ok-123'))).toBeUndefined();
  });
  it('interface names', () => {
    expect(interfaceNameProblem('eth0')).toBeUndefined();
    expect(interfaceNameProblem('a'.repeat(15))).toBeUndefined();
    expect(interfaceNameProblem('a'.repeat(16))).toMatch(/15 bytes/);
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'a\tb']) expect(interfaceNameProblem(bad)).toBeDefined();
  });
});

describe('env', () => {
  it('names every missing variable with code 4', () => {
    try {
      readEnv({ CNI_COMMAND: 'ADD' });
      expect.unreachable();
    } catch (e: any) {
      expect(e.code).toBe(4);
      expect(e.msg).toBe('required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing');
    }
  });
  it('DEL does not need CNI_NETNS; GC/STATUS only CNI_PATH', () => {
    expect(readEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_PATH: '/x' })?.netns).toBe('');
    expect(readEnv({ CNI_COMMAND: 'GC', CNI_PATH: '/x:/y' })?.path).toEqual(['/x', '/y']);
    expect(codeOf(() => readEnv({ CNI_COMMAND: 'STATUS' }))).toBe(4);
  });
  it('unknown command and bad ifname', () => {
    expect(codeOf(() => readEnv({ CNI_COMMAND: 'FROB' }))).toBe(4);
    expect(codeOf(() => readEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'a/b', CNI_PATH: '/x' }))).toBe(4);
  });
  it('no command means "about"', () => {
    expect(readEnv({})).toBeUndefined();
  });
});

describe('versions', () => {
  it('compares and classifies', () => {
    expect(compareVersions('0.3.1', '0.3.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0')).toBe(0);
    expect(resultFamily('0.2.0')).toBe('0.2');
    expect(resultFamily('0.4.0')).toBe('0.4');
    expect(resultFamily('1.1.0')).toBe('1.0');
    expect(codeOf(() => compareVersions('1.0.0.0', '1.0.0'))).toBe(6);
  });
  it('exact-string support check with code 1', () => {
    expect(codeOf(() => requireSupported('1.0', ['1.0.0']))).toBe(1);
    expect(codeOf(() => requireSupported('', ['0.1.0']))).toBeUndefined();
  });
});

describe('config parsing', () => {
  it('names the bad field', () => {
    const schema = netConfSchema.extend({ mtu: z.number().int().optional() });
    expect(() => parseConfig(schema, { name: 'n', mtu: 'big' })).toThrow(/field "mtu"/);
    expect(() => parseConfig(schema, { name: 5 })).toThrow(/field "name"/);
    expect(parseConfig(schema, { name: 'n', extra: { keep: 1 } })).toMatchObject({ extra: { keep: 1 } });
  });
  it('valid attachments accept the legacy key', () => {
    expect(validAttachments({ 'cni.dev/attachments': [{ containerID: 'a', ifname: 'eth0' }] })).toHaveLength(1);
    // The wire's containerID becomes the code's containerId (shared/cni/owner.ts).
    expect(validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] })).toEqual([{ containerId: 'a', ifname: 'eth0' }]);
    expect(() => validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 1 }] })).toThrow(/containerID/);
  });
});

describe('skeleton dispatch', () => {
  const calls: string[] = [];
  const plugin: Plugin<any> = {
    name: 'probe',
    about: 'probe plugin',
    schema: netConfSchema,
    add: (ctx) => {
      calls.push(`add:${ctx.prevResult?.ips?.[0]?.address ?? '-'}`);
      return { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }] };
    },
    del: () => void calls.push('del'),
    check: () => void calls.push('check'),
    gc: (_ctx, valid) => void calls.push(`gc:${valid.length}`),
  };
  async function call(env: Record<string, string>, stdin: object | string) {
    let out = '';
    let err = '';
    const code = await runPlugin(plugin, {
      env,
      stdin: () => Buffer.from(typeof stdin === 'string' ? stdin : JSON.stringify(stdin)),
      stdout: (s) => void (out += s),
      stderr: (s) => void (err += s),
    });
    return { code, out, err, json: out ? JSON.parse(out) : undefined };
  }
  const base = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/nonexistent/ns', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

  it('prints the result in the config version', async () => {
    const r = await call({ ...base, CNI_COMMAND: 'ADD' }, { cniVersion: '0.3.1', name: 'n' });
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '0.3.1', ips: [{ version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1' }] });
  });
  it('passes prevResult converted to the 1.x shape', async () => {
    await call({ ...base, CNI_COMMAND: 'ADD' }, { cniVersion: '0.2.0', name: 'n', prevResult: { ip4: { ip: '10.9.0.9/24' } } });
    expect(calls).toContain('add:10.9.0.9/24');
  });
  it('refuses CHECK below 0.4.0 and GC/STATUS below 1.1.0 with code 1', async () => {
    expect((await call({ ...base, CNI_COMMAND: 'CHECK' }, { cniVersion: '0.3.1', name: 'n' })).json.code).toBe(1);
    expect((await call({ CNI_COMMAND: 'GC', CNI_PATH: '/x' }, { cniVersion: '1.0.0', name: 'n' })).json.code).toBe(1);
    expect((await call({ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, { cniVersion: '1.0.0', name: 'n' })).json.code).toBe(1);
  });
  it('GC receives the valid attachments', async () => {
    const r = await call({ CNI_COMMAND: 'GC', CNI_PATH: '/x' }, { cniVersion: '1.1.0', name: 'n', 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(calls).toContain('gc:1');
  });
  it('bad JSON is code 6, bad name code 7, unsupported version code 1', async () => {
    expect((await call({ ...base, CNI_COMMAND: 'ADD' }, '{nope')).json.code).toBe(6);
    expect((await call({ ...base, CNI_COMMAND: 'ADD' }, { cniVersion: '1.0.0', name: 'a/b' })).json.code).toBe(7);
    const v = await call({ ...base, CNI_COMMAND: 'ADD' }, { cniVersion: '9.9.9', name: 'n' });
    expect(v.json).toMatchObject({ code: 1, msg: 'incompatible CNI versions' });
    expect(v.code).toBe(1);
  });
  it('refuses CNI_NETNS equal to its own netns unless overridden', async () => {
    const env = { ...base, CNI_COMMAND: 'ADD', CNI_NETNS: '/proc/self/ns/net' };
    expect((await call(env, { cniVersion: '1.0.0', name: 'n' })).json.code).toBe(8);
    expect((await call({ ...env, CNI_NETNS_OVERRIDE: '1' }, { cniVersion: '1.0.0', name: 'n' })).code).toBe(0);
  });
  it('refuses a CNI_NETNS that is not a network namespace (code 4, naming it) on ADD/CHECK; DEL goes on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skel-netns-'));
    const before = calls.length;
    try {
      const file = path.join(dir, 'file');
      const empty = path.join(dir, 'empty');
      fs.writeFileSync(file, 'x');
      fs.writeFileSync(empty, '');
      const cases: [string, RegExp][] = [
        [file, /is not a network namespace: it is a regular file$/],
        [empty, /is not a network namespace: it is an empty regular file/],
        [dir, /is not a network namespace: it is a directory$/],
        ['/proc/self/ns/pid', /is not a network namespace: it is a pid namespace$/],
      ];
      for (const [netns, msg] of cases) {
        for (const cmd of ['ADD', 'CHECK']) {
          const r = await call({ ...base, CNI_COMMAND: cmd, CNI_NETNS: netns }, { cniVersion: '1.1.0', name: 'n' });
          expect(r.json, `${cmd} ${netns}`).toMatchObject({ code: 4, msg: expect.stringMatching(msg) });
          expect(r.json.msg).toContain(`CNI_NETNS "${netns}"`);
        }
        // DEL cannot enter it either, but has nothing to create: the plugin cleans up the host side
        expect((await call({ ...base, CNI_COMMAND: 'DEL', CNI_NETNS: netns }, { cniVersion: '1.1.0', name: 'n' })).code).toBe(0);
      }
      expect(calls.slice(before).filter((c) => c !== 'del')).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('openNetns: a namespace of another type is refused before setns', () => {
    expect(() => openNetns('/proc/self/ns/pid')).toThrow(/CNI_NETNS "\/proc\/self\/ns\/pid" is not a network namespace: it is a pid namespace$/);
    expect(() => openNetns('/proc/self/ns/uts')).toThrow(NotANetnsError);
    fs.closeSync(openNetns('/proc/self/ns/net'));
  });
  it('a chained plugin refuses ADD and CHECK without prevResult (code 7), but not DEL', async () => {
    const chained: Plugin<any> = { ...plugin, chained: true };
    const run = async (command: string, conf: object) => {
      let out = '';
      const code = await runPlugin(chained, { env: { ...base, CNI_COMMAND: command }, stdin: () => Buffer.from(JSON.stringify(conf)), stdout: (s) => void (out += s), stderr: () => {} });
      return { code, json: out ? JSON.parse(out) : undefined };
    };
    calls.length = 0;
    for (const command of ['ADD', 'CHECK']) {
      const r = await run(command, { cniVersion: '1.0.0', name: 'n' });
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 7, msg: 'must be called as chained plugin: field "prevResult" is missing' });
    }
    expect(calls).toEqual([]);
    expect((await run('DEL', { cniVersion: '1.0.0', name: 'n' })).code).toBe(0);
    const prevResult = { cniVersion: '1.0.0', ips: [{ address: '10.9.0.9/24' }] };
    expect((await run('ADD', { cniVersion: '1.0.0', name: 'n', prevResult })).code).toBe(0);
    expect(calls).toEqual(['del', 'add:10.9.0.9/24']);
  });
  it('VERSION ignores stdin; no command prints the about line', async () => {
    const v = await call({ CNI_COMMAND: 'VERSION' }, 'garbage');
    expect(v.json.supportedVersions).toContain('1.1.0');
    const a = await call({}, '');
    expect(a.code).toBe(0);
    expect(a.out).toBe('');
    expect(a.err).toMatch(/CNI protocol versions supported: 0\.1\.0, .*1\.1\.0/);
  });
});
