// tuning and macvlan next to the reference Go plugins (1.1.1 in /usr/lib/cni): state saved by
// one tuning is restored by the other, and both macvlans build the same thing from one config.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, deleteNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { skipWithout } from '../../helpers/prereq';

const REF = '/usr/lib/cni';
const haveRef = fs.existsSync(path.join(REF, 'tuning')) && fs.existsSync(path.join(REF, 'macvlan'));

let host: string;
let root: string;
beforeEach(() => {
  host = createNetns('ttm-rh');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ttm-ref-'));
});
afterEach(() => {
  deleteAllNetns();
  fs.rmSync(root, { recursive: true, force: true });
});
afterAll(() => expect(leakedNetns()).toEqual([]));

function runRef(plugin: string, env: Record<string, string | undefined>, stdin: object): RunResult {
  const r = spawnSync('ip', ['netns', 'exec', host, path.join(REF, plugin)], { input: JSON.stringify(stdin), env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv, encoding: 'utf8' });
  let json: any;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}
const link = (ns: string, dev: string): any => JSON.parse(inNetns(ns, ['ip', '-j', '-d', 'link', 'show', 'dev', dev]))[0];

describe.skipIf(skipWithout('tuning next to the reference plugins', haveRef ? undefined : 'the reference plugins are not in /usr/lib/cni (Debian package containernetworking-plugins; npm test installs it)'))('next to the reference plugins', () => {
  it('tuning: what one saves the other restores', () => {
    const ctr = createNetns('ttm-rc');
    sh(['ip', '-n', ctr, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0']);
    const orig = link(ctr, 'eth0');
    const dataDir = path.join(root, 'tuning');
    const conf = {
      cniVersion: '1.0.0',
      name: 'tnet',
      type: 'tuning',
      dataDir,
      mac: '02:11:22:33:44:66',
      mtu: 1400,
      promisc: true,
      allmulti: true,
      prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: netnsPath(ctr) }] },
    };
    const env = (cmd: string) => cniEnv(cmd, { CNI_CONTAINERID: 'c1', CNI_NETNS: netnsPath(ctr), CNI_IFNAME: 'eth0' });
    const pairs: [string, string][] = [['ours', 'reference'], ['reference', 'ours']];
    for (const [adder, deleter] of pairs) {
      const add = adder === 'ours' ? run('tuning', { netns: host, env: env('ADD'), stdin: conf }) : runRef('tuning', { ...env('ADD'), CNI_PATH: REF }, conf);
      expect(add.code, `${adder} ADD: ${add.stdout}`).toBe(0);
      expect(add.json.interfaces).toEqual([{ name: 'eth0', mac: '02:11:22:33:44:66', sandbox: netnsPath(ctr) }]);
      expect(link(ctr, 'eth0')).toMatchObject({ address: '02:11:22:33:44:66', mtu: 1400, promiscuity: 1 });
      const del = deleter === 'ours' ? run('tuning', { netns: host, env: env('DEL'), stdin: conf }) : runRef('tuning', { ...env('DEL'), CNI_PATH: REF }, conf);
      expect(del.code, `${deleter} DEL: ${del.stdout}`).toBe(0);
      const back = link(ctr, 'eth0');
      expect({ address: back.address, mtu: back.mtu, promiscuity: back.promiscuity, allmulti: back.flags.includes('ALLMULTI') }).toEqual({ address: orig.address, mtu: orig.mtu, promiscuity: 0, allmulti: false });
      expect(fs.readdirSync(dataDir)).toEqual([]);
    }
  });

  it('macvlan: one config, the same result and the same link from both', () => {
    sh(['ip', '-n', host, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    const outs: { res: any; link: any }[] = [];
    for (const impl of ['reference', 'ours']) {
      const ctr = createNetns('ttm-rc');
      const conf = { cniVersion: '1.0.0', name: 'mvnet', type: 'macvlan', master: 'lan0', mode: 'private', mtu: 1400, mac: '02:aa:bb:cc:dd:01' };
      const env = cniEnv('ADD', { CNI_CONTAINERID: 'c1', CNI_NETNS: netnsPath(ctr), CNI_IFNAME: 'net1' });
      const r = impl === 'ours' ? run('macvlan', { netns: host, env, stdin: conf }) : runRef('macvlan', { ...env, CNI_PATH: REF }, conf);
      expect(r.code, `${impl}: ${r.stdout}`).toBe(0);
      const l = link(ctr, 'net1');
      const ifaces = r.json.interfaces.map((i: any) => ({ name: i.name, mac: i.mac, sandboxIsNetns: i.sandbox === netnsPath(ctr) }));
      outs.push({ res: { cniVersion: r.json.cniVersion, interfaces: ifaces, ips: r.json.ips }, link: { kind: l.linkinfo.info_kind, mode: l.linkinfo.info_data.mode, address: l.address, mtu: l.mtu, up: l.flags.includes('UP') } });
      // One MAC per lower device: the first container goes before the second is made.
      deleteNetns(ctr);
    }
    // Differences on purpose: ours adds the interface "mtu" (a 1.x field); the reference prints "dns": {}.
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[0]!.link).toEqual({ kind: 'macvlan', mode: 'private', address: '02:aa:bb:cc:dd:01', mtu: 1400, up: true });
  });
});
