import fs from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheFilePath, listCachedAttachments } from '../../../shared/runtime/cache';
import { networkListFromBytes } from '../../../shared/runtime/conf-loader';
import { CniRuntime, type RuntimeConf } from '../../../shared/runtime/list-ops';
import { FakePlugins } from './fake-plugins';

const fake = new FakePlugins(['alpha', 'beta']);
afterAll(() => fake.cleanup());
beforeEach(() => fake.reset());

const stderr: Buffer[] = [];
function runtime(env: Record<string, string> = {}): CniRuntime {
  return new CniRuntime({ cniPath: ['/nonexistent', fake.bin], cacheDir: fake.cache, env: { PATH: process.env.PATH, FAKE_LOG: fake.log, ...env }, stderr: (b) => stderr.push(b) });
}

function list(extra: object = {}, plugins: object[] = [{ type: 'alpha', capabilities: { portMappings: true, mac: false }, zeta: 1 }, { type: 'beta', runtimeConfig: { old: 1 } }]) {
  return networkListFromBytes(Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'fk', plugins, ...extra })));
}

const rt: RuntimeConf = {
  containerID: 'ctr1',
  netns: '/run/netns/fake',
  ifName: 'eth0',
  args: [
    ['A', '1'],
    ['B', '2'],
  ],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], mac: 'aa:bb:cc:dd:ee:ff', bandwidth: {} },
};

describe('ADD on a list', () => {
  it('runs plugins in order with name, cniVersion, prevResult and filtered runtimeConfig injected', async () => {
    const res = await runtime().addNetworkList(list(), rt);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin}:${c.command}`)).toEqual(['alpha:ADD', 'beta:ADD']);
    // Re-marshalled like libcni: keys sorted, capabilities kept, only enabled capabilities passed.
    expect(calls[0]!.stdin).toBe(
      '{"capabilities":{"mac":false,"portMappings":true},"cniVersion":"1.0.0","name":"fk","runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"type":"alpha","zeta":1}',
    );
    expect(calls[1]!.conf.prevResult).toEqual({ cniVersion: '1.0.0', interfaces: [{ name: 'alpha0', sandbox: '/run/netns/fake' }], ips: [{ address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 }] });
    // A plugin without capabilities keeps whatever runtimeConfig its config had.
    expect(calls[1]!.conf.runtimeConfig).toEqual({ old: 1 });
    expect(calls[0]!.env).toMatchObject({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr1', CNI_NETNS: '/run/netns/fake', CNI_IFNAME: 'eth0', CNI_ARGS: 'A=1;B=2', CNI_PATH: `/nonexistent:${fake.bin}` });
    expect(res.interfaces!.map((i) => i.name)).toEqual(['alpha0', 'beta0']);
    expect(Buffer.concat(stderr).toString()).toContain('beta says hi');
    const cached = JSON.parse(fs.readFileSync(cacheFilePath(fake.cache, 'fk', 'ctr1', 'eth0'), 'utf8'));
    expect(cached).toMatchObject({ kind: 'cniCacheV1', containerId: 'ctr1', ifName: 'eth0', networkName: 'fk', netns: '/run/netns/fake', cniArgs: [['A', '1'], ['B', '2']] });
    expect(cached.result.interfaces).toHaveLength(2);
  });

  it('stops at the first failure, names the plugin, and writes no cache', async () => {
    await expect(runtime({ FAKE_FAIL_ALPHA: 'ADD' }).addNetworkList(list(), { ...rt, containerID: 'ctr2' })).rejects.toThrow(
      'plugin type="alpha" failed (add): alpha failed; on purpose',
    );
    expect(fake.calls().map((c) => c.plugin)).toEqual(['alpha']);
    expect(fs.existsSync(cacheFilePath(fake.cache, 'fk', 'ctr2', 'eth0'))).toBe(false);
  });

  it('validates the attachment before running anything', async () => {
    await expect(runtime().addNetworkList(list(), { ...rt, ifName: 'a-very-long-ifname' })).rejects.toThrow(
      'plugin type="alpha" failed (add): interface name is too long; interface name should be less than 16 characters',
    );
    await expect(runtime().addNetworkList(list(), { ...rt, containerID: 'bad/id' })).rejects.toThrow('invalid characters in containerID; bad/id');
    await expect(runtime().addNetworkList(list({}, [{ type: 'nope', name: 'n1' }]), rt)).rejects.toThrow(
      `plugin type="nope" name="n1" failed (add): failed to find plugin "nope" in path [/nonexistent ${fake.bin}]`,
    );
    expect(fake.calls()).toEqual([]);
  });
});

describe('DEL, CHECK and STATUS on a list', () => {
  it('DEL runs in reverse with the cached result and removes the cache', async () => {
    const r = { ...rt, containerID: 'ctr3' };
    await runtime().addNetworkList(list(), r);
    fake.reset();
    await runtime().delNetworkList(list(), r);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin}:${c.command}`)).toEqual(['beta:DEL', 'alpha:DEL']);
    expect(calls[0]!.conf.prevResult.interfaces.map((i: any) => i.name)).toEqual(['alpha0', 'beta0']);
    expect(calls[1]!.conf.runtimeConfig).toEqual({ portMappings: rt.capabilityArgs!.portMappings });
    expect(fs.existsSync(cacheFilePath(fake.cache, 'fk', 'ctr3', 'eth0'))).toBe(false);
    fake.reset();
    await runtime().delNetworkList(list(), r); // idempotent, no prevResult left
    expect(fake.calls().map((c) => c.conf.prevResult)).toEqual([undefined, undefined]);
  });

  it('a failed DEL keeps the cache for the retry', async () => {
    const r = { ...rt, containerID: 'ctr4' };
    await runtime().addNetworkList(list(), r);
    await expect(runtime({ FAKE_FAIL_ALPHA: 'DEL' }).delNetworkList(list(), r)).rejects.toThrow('plugin type="alpha" failed (delete): alpha failed; on purpose');
    expect(fs.existsSync(cacheFilePath(fake.cache, 'fk', 'ctr4', 'eth0'))).toBe(true);
  });

  it('a corrupt cache is dropped and DEL goes on without prevResult', async () => {
    const r = { ...rt, containerID: 'ctr5' };
    fs.mkdirSync(`${fake.cache}/results`, { recursive: true });
    fs.writeFileSync(cacheFilePath(fake.cache, 'fk', 'ctr5', 'eth0'), '{"kind":"cniCacheV1","result":{"cniVersion":"7.7.7"}}');
    await runtime().delNetworkList(list(), r);
    expect(fake.calls().map((c) => c.conf.prevResult)).toEqual([undefined, undefined]);
    expect(fs.existsSync(cacheFilePath(fake.cache, 'fk', 'ctr5', 'eth0'))).toBe(false);
  });

  it('CHECK needs 0.4.0+, honours disableCheck, runs in order with the cached result', async () => {
    await expect(runtime().checkNetworkList(list({ cniVersion: '0.3.1' }), rt)).rejects.toThrow('configuration version "0.3.1" does not support the CHECK command');
    await runtime().checkNetworkList(list({ disableCheck: true }), rt);
    expect(fake.calls()).toEqual([]);
    const r = { ...rt, containerID: 'ctr6' };
    await runtime().addNetworkList(list(), r);
    fake.reset();
    await runtime().checkNetworkList(list(), r);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin}:${c.command}`)).toEqual(['alpha:CHECK', 'beta:CHECK']);
    expect(calls[0]!.conf.prevResult.interfaces).toHaveLength(2);
    // CHECK errors are not wrapped (what cnitool prints is the plugin's message).
    await expect(runtime({ FAKE_FAIL_BETA: 'CHECK' }).checkNetworkList(list(), r)).rejects.toThrow(/^beta failed; on purpose$/);
  });

  it('STATUS is a no-op below 1.1.0 and otherwise sends only name and cniVersion', async () => {
    await runtime().statusNetworkList(list());
    expect(fake.calls()).toEqual([]);
    await runtime().statusNetworkList(list({ cniVersion: '1.1.0' }));
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin}:${c.command}`)).toEqual(['alpha:STATUS', 'beta:STATUS']);
    expect(calls[0]!.conf).toEqual({ capabilities: { mac: false, portMappings: true }, cniVersion: '1.1.0', name: 'fk', type: 'alpha', zeta: 1 });
    expect(calls[0]!.env.CNI_CONTAINERID).toBe('');
    await expect(runtime({ FAKE_FAIL_ALPHA: 'STATUS' }).statusNetworkList(list({ cniVersion: '1.1.0' }))).rejects.toThrow('alpha failed; on purpose');
  });
});

describe('GC on a list', () => {
  it('DELs cached attachments not in the valid set, then sends GC with both attachment keys', async () => {
    const l = list({ cniVersion: '1.1.0', name: 'gcnet' });
    for (const id of ['g1', 'g2', 'g3']) await runtime().addNetworkList(l, { ...rt, containerID: id, netns: `/run/netns/${id}` });
    fake.reset();
    const out = await runtime().gcNetworkList(l, [{ containerId: 'g2', ifname: 'eth0' }]);
    expect(out.errors).toEqual([]);
    expect(out.removed.map((a) => a.containerID)).toEqual(['g1', 'g3']);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin}:${c.command}:${c.env.CNI_CONTAINERID}`)).toEqual([
      'beta:DEL:g1',
      'alpha:DEL:g1',
      'beta:DEL:g3',
      'alpha:DEL:g3',
      'alpha:GC:',
      'beta:GC:',
    ]);
    expect(calls[0]!.env.CNI_NETNS).toBe('/run/netns/g1');
    expect(calls[4]!.conf['cni.dev/valid-attachments']).toEqual([{ containerID: 'g2', ifname: 'eth0' }]);
    expect(calls[4]!.conf['cni.dev/attachments']).toEqual([{ containerID: 'g2', ifname: 'eth0' }]);
    expect(listCachedAttachments(fake.cache, { network: 'gcnet' }).map((a) => a.containerID)).toEqual(['g2']);
  });

  it('keeps going past errors and reports them all; disableGC does nothing', async () => {
    const l = list({ cniVersion: '1.1.0', name: 'gcnet2' });
    await runtime().addNetworkList(l, { ...rt, containerID: 'g4' });
    const out = await runtime({ FAKE_FAIL_ALPHA: 'DEL,GC' }).gcNetworkList(l, []);
    expect(out.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^failed to delete stale attachment g4 eth0: plugin type="alpha" failed \(delete\)/), 'alpha failed; on purpose']),
    );
    fake.reset();
    await runtime().gcNetworkList(list({ cniVersion: '1.1.0', disableGC: true }), []);
    expect(fake.calls()).toEqual([]);
  });

  it('does not send GC to plugins below 1.1.0', async () => {
    await runtime().gcNetworkList(list({ name: 'gcnet3' }), []);
    expect(fake.calls().filter((c) => c.command === 'GC')).toEqual([]);
  });
});
