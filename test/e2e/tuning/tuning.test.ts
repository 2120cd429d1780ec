// tuning end to end: the built plugin changes a real container interface and real container
// sysctls, and DEL puts every original value back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, deleteNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';

let host: string;
let ctr: string;
let dataDir: string;
let root: string;

beforeEach(() => {
  host = createNetns('ttm-th');
  ctr = createNetns('ttm-tc');
  sh(['ip', '-n', ctr, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
  sh(['ip', '-n', ctr, 'link', 'set', 'eth0', 'up']);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ttm-tuning-'));
  dataDir = path.join(root, 'state');
});
afterEach(() => {
  deleteAllNetns();
  fs.rmSync(root, { recursive: true, force: true });
});
afterAll(() => expect(leakedNetns()).toEqual([]));

const ORIGINAL_MAC = () => link('eth0').address;
const prevResult = () => ({ cniVersion: '1.1.0', interfaces: [{ name: 'eth0', mac: ORIGINAL_MAC(), sandbox: netnsPath(ctr) }], ips: [{ interface: 0, address: '198.51.100.7/24' }] });
const conf = (extra: Record<string, unknown> = {}, prev: unknown = prevResult()) => ({ cniVersion: '1.1.0', name: 'tnet', type: 'tuning', dataDir, ...(prev ? { prevResult: prev } : {}), ...extra });
const tuning = (cmd: string, c: Record<string, unknown>, extra: Record<string, string> = {}): RunResult =>
  run('tuning', { netns: host, env: cniEnv(cmd, { CNI_CONTAINERID: 'ctr-1', CNI_NETNS: netnsPath(ctr), CNI_IFNAME: 'eth0', ...extra }), stdin: c });

function link(dev: string): any {
  return JSON.parse(inNetns(ctr, ['ip', '-j', '-d', 'link', 'show', 'dev', dev]))[0];
}
const sysctl = (key: string): string => inNetns(ctr, ['cat', `/proc/sys/${key}`]).trim();
const stateFiles = (): string[] => (fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []);

describe('tuning: sysctls', () => {
  it('applies container sysctls (dot and slash forms, IFNAME), CHECKs them, and DEL restores them', () => {
    const before = { arp: sysctl('net/ipv4/conf/eth0/arp_notify'), rp: sysctl('net/ipv4/conf/eth0/rp_filter'), ping: sysctl('net/ipv4/ping_group_range') };
    expect(before.arp).toBe('0');
    const hostPing = inNetns(host, ['cat', '/proc/sys/net/ipv4/ping_group_range']).trim();
    const c = conf({ sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1', 'net/ipv4/conf/IFNAME/rp_filter': 2, 'net.ipv4.ping_group_range': '0 1000' } });
    const r = tuning('ADD', c);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toEqual(c.prevResult);
    expect(sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('1');
    expect(sysctl('net/ipv4/conf/eth0/rp_filter')).toBe('2');
    expect(sysctl('net/ipv4/ping_group_range').split(/\s+/)).toEqual(['0', '1000']);
    // The host's own value (another netns) is untouched.
    expect(inNetns(host, ['cat', '/proc/sys/net/ipv4/ping_group_range']).trim()).toBe(hostPing);
    expect(stateFiles()).toEqual(['ctr-1_eth0.json']);

    expect(tuning('CHECK', c).code).toBe(0);
    inNetns(ctr, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.arp_notify=0']);
    const chk = tuning('CHECK', c);
    expect(chk.code).not.toBe(0);
    expect(chk.json.msg).toMatch(/net\.ipv4\.conf\.eth0\.arp_notify: configured value is 1, current value is 0/);

    expect(tuning('DEL', c).code).toBe(0);
    expect(sysctl('net/ipv4/conf/eth0/arp_notify')).toBe(before.arp);
    expect(sysctl('net/ipv4/conf/eth0/rp_filter')).toBe(before.rp);
    expect(sysctl('net/ipv4/ping_group_range')).toBe(before.ping);
    expect(stateFiles()).toEqual([]);
    expect(tuning('DEL', c).code).toBe(0);
  });

  it('bad keys are refused with code 7 naming the key, and nothing changes', () => {
    const mtu = link('eth0').mtu;
    for (const bad of ['kernel.pid_max', 'net/../kernel/pid_max', 'net.ipv4.no_such_thing', 'vm.swappiness']) {
      const r = tuning('ADD', conf({ mtu: 1300, sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1', [bad]: '1' } }));
      expect(r.code).not.toBe(0);
      expect(r.json.code).toBe(7);
      expect(r.json.msg).toContain(`"${bad}"`);
      expect(sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('0');
      expect(link('eth0').mtu).toBe(mtu);
      expect(stateFiles()).toEqual([]);
    }
  });

  it('a value the kernel refuses rolls back the sysctls already written and the saved state', () => {
    const r = tuning('ADD', conf({ mtu: 1300, sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1', 'net.ipv4.conf.eth0.rp_filter': 'abc' } }));
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringContaining('"abc" for sysctl "net.ipv4.conf.eth0.rp_filter"') });
    expect(sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('0');
    expect(link('eth0').mtu).toBe(1500);
    expect(stateFiles()).toEqual([]);
  });
});

describe('tuning: interface settings', () => {
  it('mac, mtu, promisc, allmulti and txQLen are applied, reported, CHECKed and restored on DEL', () => {
    const orig = link('eth0');
    expect(orig.promiscuity).toBe(0);
    const c = conf({ mac: '02:11:22:33:44:55', mtu: 1400, promisc: true, allmulti: true, txQLen: 123 });
    const r = tuning('ADD', c);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.interfaces).toEqual([{ name: 'eth0', mac: '02:11:22:33:44:55', sandbox: netnsPath(ctr) }]);
    expect(r.json.ips).toEqual((c.prevResult as any).ips);
    const now = link('eth0');
    expect(now.address).toBe('02:11:22:33:44:55');
    expect(now.mtu).toBe(1400);
    expect(now.promiscuity).toBe(1);
    expect(now.flags).toContain('ALLMULTI');
    expect(now.txqlen).toBe(123);
    const saved = JSON.parse(fs.readFileSync(path.join(dataDir, 'ctr-1_eth0.json'), 'utf8'));
    expect(saved).toEqual({ network: c.name, mac: orig.address, promisc: false, mtu: 1500, allmulti: false, txQLen: orig.txqlen });

    expect(tuning('CHECK', c).code).toBe(0);
    sh(['ip', '-n', ctr, 'link', 'set', 'eth0', 'mtu', '1300']);
    expect(tuning('CHECK', c).json.msg).toMatch(/configured MTU is 1400, current value is 1300/);

    expect(tuning('DEL', c).code).toBe(0);
    const back = link('eth0');
    expect(back.address).toBe(orig.address);
    expect(back.mtu).toBe(1500);
    expect(back.promiscuity).toBe(0);
    expect(back.flags).not.toContain('ALLMULTI');
    expect(back.txqlen).toBe(orig.txqlen);
    expect(stateFiles()).toEqual([]);
  });

  it('MAC= in CNI_ARGS (strict unless IgnoreUnknown) and the mac capability', () => {
    const r = tuning('ADD', conf(), { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02:00:00:00:00:aa' });
    expect(r.code, r.stdout).toBe(0);
    expect(link('eth0').address).toBe('02:00:00:00:00:aa');
    expect(r.json.interfaces[0].mac).toBe('02:00:00:00:00:aa');
    expect(tuning('DEL', conf()).code).toBe(0);

    // One allow-list for the suite (shared/cni/args.ts): K8S_POD_NAME is known, FOO is not.
    const strict = tuning('ADD', conf(), { CNI_ARGS: 'K8S_POD_NAME=p;FOO=1;MAC=02:00:00:00:00:aa' });
    expect(strict.json).toMatchObject({ code: 4, msg: expect.stringContaining('"FOO"') });
    expect(strict.json.msg).not.toContain('K8S_POD_NAME');
    expect(tuning('ADD', conf(), { CNI_ARGS: 'MAC=02:00:00:00:00:zz' }).json.code).toBe(4);

    const cap = tuning('ADD', conf({ capabilities: { mac: true }, runtimeConfig: { mac: '02:00:00:00:00:bb' } }), { CNI_ARGS: 'MAC=02:00:00:00:00:aa' });
    expect(cap.code, cap.stdout).toBe(0);
    expect(link('eth0').address).toBe('02:00:00:00:00:bb');
  });

  it('requires prevResult; a missing interface is an error; the result keeps the config version', () => {
    expect(tuning('ADD', conf({}, null)).json).toMatchObject({ code: 7, msg: expect.stringMatching(/prevResult/) });
    expect(tuning('ADD', conf({ mtu: 1400 }), { CNI_IFNAME: 'nope0' }).json.msg).toMatch(/nope0/);
    expect(stateFiles()).toEqual([]);
    const old = tuning('ADD', conf({ cniVersion: '0.4.0', mtu: 1450 }, { cniVersion: '0.4.0', interfaces: [{ name: 'eth0', sandbox: netnsPath(ctr) }], ips: [{ version: '4', interface: 0, address: '198.51.100.7/24' }] }));
    expect(old.code, old.stdout).toBe(0);
    expect(old.json).toEqual({ cniVersion: '0.4.0', interfaces: [{ name: 'eth0', sandbox: netnsPath(ctr) }], ips: [{ version: '4', interface: 0, address: '198.51.100.7/24' }] });
  });

  it('a second ADD without DEL keeps the true originals', () => {
    const orig = link('eth0').mtu;
    expect(tuning('ADD', conf({ mtu: 1400 })).code).toBe(0);
    expect(tuning('ADD', conf({ mtu: 1300 })).code).toBe(0);
    expect(link('eth0').mtu).toBe(1300);
    expect(tuning('DEL', conf({ mtu: 1300 })).code).toBe(0);
    expect(link('eth0').mtu).toBe(orig);
  });
});

describe('tuning: DEL, GC and STATUS', () => {
  it('DEL with the netns gone succeeds and forgets the saved state', () => {
    expect(tuning('ADD', conf({ mtu: 1400 })).code).toBe(0);
    expect(stateFiles()).toHaveLength(1);
    deleteNetns(ctr);
    const d = tuning('DEL', conf({ mtu: 1400 }, null));
    expect(d.code, d.stdout).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('GC removes saved state of attachments that are no longer valid', () => {
    expect(tuning('ADD', conf({ mtu: 1400 })).code).toBe(0);
    expect(tuning('ADD', conf({ mtu: 1400 }), { CNI_CONTAINERID: 'ctr-2' }).code).toBe(0);
    expect(stateFiles().sort()).toEqual(['ctr-1_eth0.json', 'ctr-2_eth0.json']);
    const gc = run('tuning', { netns: host, env: cniEnv('GC'), stdin: { cniVersion: '1.1.0', name: 'tnet', type: 'tuning', dataDir, 'cni.dev/valid-attachments': [{ containerID: 'ctr-2', ifname: 'eth0' }] } });
    expect(gc.code, gc.stdout).toBe(0);
    expect(stateFiles()).toEqual(['ctr-2_eth0.json']);
  });

  it('STATUS is 0 on a usable dataDir and 50 naming it when a file blocks it, creating nothing', () => {
    const status = (c: Record<string, unknown>): RunResult => run('tuning', { netns: host, env: cniEnv('STATUS'), stdin: c });
    const ok = status(conf({}, null));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(fs.existsSync(dataDir)).toBe(false);
    fs.writeFileSync(dataDir, 'not a directory');
    const bad = status(conf({}, null));
    expect(bad.code).not.toBe(0);
    expect(bad.json).toMatchObject({ code: 50, msg: expect.stringContaining(`dataDir ${dataDir}`) });
    // ADD agrees: it cannot save the originals there
    expect(tuning('ADD', conf({ mtu: 1400 })).code).not.toBe(0);
  });

  it("a stale DEL of another network (old prevResult) leaves the state of the attachment that reuses ctr-1/eth0; GC of that network too", () => {
    const orig = link('eth0').mtu;
    const first = tuning('ADD', conf({ mtu: 1400 }));
    expect(first.code).toBe(0);
    expect(tuning('DEL', conf({ mtu: 1400 })).code).toBe(0);
    // the same container joins another network with the same ifname (podman network connect)
    expect(tuning('ADD', conf({ name: 'tnet2', mtu: 1300 })).code).toBe(0);
    const stale = tuning('DEL', conf({ mtu: 1400 }, first.json));
    expect(stale.code, stale.stdout).toBe(0);
    expect(link('eth0').mtu).toBe(1300);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'ctr-1_eth0.json'), 'utf8'))).toMatchObject({ network: 'tnet2', mtu: orig });
    const gc = run('tuning', { netns: host, env: cniEnv('GC'), stdin: { cniVersion: '1.1.0', name: 'tnet', type: 'tuning', dataDir, 'cni.dev/valid-attachments': [] } });
    expect(gc.code, gc.stdout).toBe(0);
    expect(stateFiles()).toEqual(['ctr-1_eth0.json']);
    expect(tuning('DEL', conf({ name: 'tnet2', mtu: 1300 })).code).toBe(0);
    expect(link('eth0').mtu).toBe(orig);
    expect(stateFiles()).toEqual([]);
  });
});

describe('conf-examples', () => {
  it('tuning.conflist (macvlan + tuning with the mac capability) through cnitool', () => {
    const outside = createNetns('ttm-to');
    sh(['ip', '-n', host, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'wan', 'netns', outside]);
    sh(['ip', '-n', host, 'link', 'set', 'lan0', 'up']);
    sh(['ip', '-n', outside, 'addr', 'add', '198.51.100.254/24', 'dev', 'wan']);
    sh(['ip', '-n', outside, 'link', 'set', 'wan', 'up']);
    const c = createNetns('ttm-tc');
    const list = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../conf-examples/tuning.conflist'), 'utf8'));
    list.plugins[0].master = 'lan0';
    list.plugins[0].ipam.dataDir = path.join(root, 'ipam');
    list.plugins[1].dataDir = dataDir;
    const dir = path.join(root, 'netconf');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'tuning.conflist'), JSON.stringify(list));
    const cnitool = (args: string[]) => {
      const r = spawnSync('ip', ['netns', 'exec', host, bin('cnitool'), ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, CNI_PATH: path.dirname(bin('tuning')), NETCONFPATH: dir, CNI_CACHE_DIR: path.join(root, 'cache'), CAP_ARGS: JSON.stringify({ mac: '02:42:c6:33:64:0a' }) },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const add = cnitool(['add', list.name, netnsPath(c)]);
    expect(add.code, add.stderr).toBe(0);
    const res = JSON.parse(add.stdout);
    expect(res.interfaces[0]).toMatchObject({ name: 'eth0', mac: '02:42:c6:33:64:0a' });
    const l = JSON.parse(inNetns(c, ['ip', '-j', '-d', 'link', 'show', 'dev', 'eth0']))[0];
    expect([l.address, l.mtu, l.txqlen]).toEqual(['02:42:c6:33:64:0a', 1400, 500]);
    expect(inNetns(c, ['cat', '/proc/sys/net/ipv4/conf/eth0/arp_announce']).trim()).toBe('2');
    expect(inNetns(c, ['cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6']).trim()).toBe('1');
    expect(spawnSync('ip', ['netns', 'exec', c, 'ping', '-c', '1', '-W', '1', '198.51.100.254']).status).toBe(0);
    expect(JSON.parse(inNetns(outside, ['ip', '-j', 'neigh', 'show', res.ips[0].address.split('/')[0]]))[0]?.lladdr).toBe('02:42:c6:33:64:0a');
    expect(cnitool(['check', list.name, netnsPath(c)]).code).toBe(0);
    const del = cnitool(['del', list.name, netnsPath(c)]);
    expect(del.code, del.stderr).toBe(0);
    expect(inNetns(c, ['ip', '-j', 'link', 'show'])).not.toContain('eth0');
    expect(inNetns(c, ['cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6']).trim()).toBe('0');
    expect(stateFiles()).toEqual([]);
  });
});
