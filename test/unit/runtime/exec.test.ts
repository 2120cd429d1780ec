import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginError, execPlugin, pluginEnv } from '../../../shared/runtime/exec';
import { FakePlugins } from './fake-plugins';

const fake = new FakePlugins([]);
afterAll(() => fake.cleanup());
const args = { command: 'ADD', containerID: 'c', netns: '/n', ifName: 'eth0', path: ['/p'] };

describe('running one plugin', () => {
  it('appends the CNI variables to the environment, overriding inherited ones', () => {
    const env = pluginEnv({ HOME: '/h', CNI_COMMAND: 'stale', CNI_ARGS: 'X=1' }, { ...args, pluginArgs: [['K', 'V']] });
    expect(env).toEqual({ HOME: '/h', CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/n', CNI_ARGS: 'K=V', CNI_IFNAME: 'eth0', CNI_PATH: '/p' });
  });

  it('returns stdout on success and passes stdin through', async () => {
    const p = fake.add('echo', '#!/bin/sh\ncat\necho "$CNI_COMMAND $CNI_IFNAME" >&2\n');
    const errs: Buffer[] = [];
    const out = await execPlugin(p, Buffer.from('{"x":1}'), args, { stderr: (b) => errs.push(b) });
    expect(out.toString()).toBe('{"x":1}');
    expect(Buffer.concat(errs).toString()).toBe('ADD eth0\n');
  });

  it('parses the error JSON a failing plugin prints on stdout', async () => {
    const p = fake.add('fails', '#!/bin/sh\necho \'{"code": 7, "msg": "bad config", "details": "field x"}\'\nexit 1\n');
    const err = await execPlugin(p, Buffer.alloc(0), args).catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ code: 7, msg: 'bad config', details: 'field x', message: 'bad config; field x' });
  });

  it('falls back to stderr, then to the exit status, like libcni', async () => {
    const a = fake.add('stderronly', '#!/bin/sh\necho boom >&2\nexit 2\n');
    await expect(execPlugin(a, Buffer.alloc(0), args)).rejects.toThrow('netplugin failed: "boom\\n"');
    const b = fake.add('silent', '#!/bin/sh\nexit 3\n');
    await expect(execPlugin(b, Buffer.alloc(0), args)).rejects.toThrow('netplugin failed with no error message: exit status 3');
    const c = fake.add('garbage', '#!/bin/sh\necho nope\nexit 1\n');
    await expect(execPlugin(c, Buffer.alloc(0), args)).rejects.toThrow(/^netplugin failed but error parsing its diagnostic message "nope\\n": /);
  });

  it('retries "text file busy" while the binary is still being written', async () => {
    const p = fake.add('busy', '#!/bin/sh\necho ok\n');
    const fd = fs.openSync(p, 'r+'); // an open writer makes exec fail with ETXTBSY
    setTimeout(() => fs.closeSync(fd), 150);
    const out = await execPlugin(p, Buffer.alloc(0), args, { busyDelayMs: 100 });
    expect(out.toString()).toBe('ok\n');
  });

  it('gives up on "text file busy" after the retries', async () => {
    const p = fake.add('busy2', '#!/bin/sh\necho ok\n');
    const fd = fs.openSync(p, 'r+');
    try {
      await expect(execPlugin(p, Buffer.alloc(0), args, { busyDelayMs: 1, busyRetries: 2 })).rejects.toThrow(/text file busy|ETXTBSY/i);
    } finally {
      fs.closeSync(fd);
    }
  });
});
