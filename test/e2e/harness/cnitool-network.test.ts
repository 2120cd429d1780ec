// The Docker-style commands: network ls/inspect, connect/disconnect, netns add/del/ls, and the
// `none` mode as a loopback-only list.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { HarnessEnv, addrsOf, goCnitoolId, linkNames } from './harness-env';

const h = new HarnessEnv();
let host: string;

beforeAll(() => {
  host = createNetns('thn-host');
  h.writeConflist('10-thnfront.conflist', h.bridgeList('thnfront', 'thnbr5', '10.231.5.0/24'));
  h.writeConflist('20-thnback.conflist', h.bridgeList('thnback', 'thnbr6', '10.231.6.0/24', { portmap: true }));
  h.writeConflist('30-thnnone.conflist', { cniVersion: '1.0.0', name: 'thnnone', plugins: [{ type: 'loopback' }] });
  h.writeConflist('40-single.conf', { cniVersion: '0.4.0', name: 'thnsingle', type: 'bridge', bridge: 'thnbr7', ipam: { type: 'host-local', subnet: '10.231.7.0/24', dataDir: h.ipam } });
});
afterAll(() => {
  deleteAllNetns();
  h.cleanup();
  expect(leakedNetns()).toEqual([]);
});

describe('network ls / inspect', () => {
  it('lists every network with its type, subnet and file', () => {
    h.writeConflist('99-broken.conflist', '{"name": ');
    try {
      const r = h.cnitool(['network', 'ls']);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
      expect(lines[0]).toEqual(['NAME', 'TYPE', 'SUBNET', 'VERSION', 'PLUGINS', 'FILE']);
      expect(lines.slice(1)).toEqual([
        ['thnfront', 'bridge', '10.231.5.0/24', '1.0.0', 'bridge', '10-thnfront.conflist'],
        ['thnback', 'bridge', '10.231.6.0/24', '1.0.0', 'bridge,portmap', '20-thnback.conflist'],
        ['thnnone', 'loopback', '-', '1.0.0', 'loopback', '30-thnnone.conflist'],
        ['thnsingle', 'bridge', '10.231.7.0/24', '0.4.0', 'bridge', '40-single.conf'],
      ]);
      expect(r.stderr).toMatch(/^warning: skipping .*99-broken\.conflist: error parsing configuration list/);
      const j = JSON.parse(h.cnitool(['network', 'ls', '--json']).stdout);
      expect(j.map((n: any) => n.name)).toEqual(['thnfront', 'thnback', 'thnnone', 'thnsingle']);
    } finally {
      fs.rmSync(`${h.netconf}/99-broken.conflist`);
    }
  });

  it('inspect shows config, host-local leases and cached attachments', () => {
    const ctr = createNetns('thn-c');
    expect(h.cnitool(['add', 'thnfront', netnsPath(ctr)], { host }).code).toBe(0);
    const r = h.cnitool(['network', 'inspect', 'thnfront']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const cid = goCnitoolId(netnsPath(ctr));
    expect(doc).toMatchObject({ name: 'thnfront', cniVersion: '1.0.0', subnets: ['10.231.5.0/24'], file: `${h.netconf}/10-thnfront.conflist` });
    expect(doc.plugins[0].bridge).toBe('thnbr5');
    expect(doc.leases).toEqual([{ ip: '10.231.5.2', containerID: cid, ifname: 'eth0', dataDir: h.ipam }]);
    expect(doc.attachments).toHaveLength(1);
    expect(doc.attachments[0]).toMatchObject({ containerID: cid, ifname: 'eth0', netns: netnsPath(ctr), netnsLive: true, ips: ['10.231.5.2/24'] });
    expect(h.cnitool(['del', 'thnfront', netnsPath(ctr)], { host }).code).toBe(0);
    expect(JSON.parse(h.cnitool(['network', 'inspect', 'thnfront']).stdout).attachments).toEqual([]);
    const missing = h.cnitool(['network', 'inspect', 'nosuch']);
    expect([missing.code, missing.stderr]).toEqual([1, `no net configuration with name "nosuch" in ${h.netconf}\n`]);
  });
});

describe('connect / disconnect', () => {
  it('connects a further network on the next free ethN and disconnects it again', () => {
    const ctr = createNetns('thn-c');
    const cid = goCnitoolId(netnsPath(ctr));
    expect(h.cnitool(['add', 'thnfront', netnsPath(ctr)], { host }).code).toBe(0);
    const c = h.cnitool(['connect', 'thnback', netnsPath(ctr)], { host });
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).interfaces[2].name).toBe('eth1');
    // host-local allocates round-robin: earlier tests used .2 already.
    expect(addrsOf(ctr, 'eth0')).toEqual([expect.stringMatching(/^10\.231\.5\.\d+\/24$/)]);
    expect(addrsOf(ctr, 'eth1')).toEqual([expect.stringMatching(/^10\.231\.6\.\d+\/24$/)]);
    expect(fs.existsSync(h.cacheFile('thnback', cid, 'eth1'))).toBe(true);

    const twice = h.cnitool(['connect', 'thnback', netnsPath(ctr)], { host });
    expect([twice.code, twice.stderr]).toEqual([1, `container ${cid} is already connected to network "thnback" (interface eth1)\n`]);

    const third = h.cnitool(['connect', 'thnsingle', netnsPath(ctr), '-i', 'net9'], { host });
    expect(third.code, third.stderr).toBe(0);
    expect(addrsOf(ctr, 'net9')).toEqual([expect.stringMatching(/^10\.231\.7\.\d+\/24$/)]);

    const d = h.cnitool(['disconnect', 'thnback', netnsPath(ctr)], { host });
    expect([d.code, d.stdout, d.stderr]).toEqual([0, '', '']);
    expect(linkNames(ctr).sort()).toEqual(['eth0', 'lo', 'net9']);
    expect(h.leaseFiles('thnback')).toEqual([]);
    const notConnected = h.cnitool(['disconnect', 'thnback', netnsPath(ctr)], { host });
    expect([notConnected.code, notConnected.stderr]).toEqual([1, `container ${cid} is not connected to network "thnback"\n`]);

    // The freed name is reused by the next connect.
    const again = h.cnitool(['connect', 'thnback', netnsPath(ctr)], { host });
    expect(JSON.parse(again.stdout).interfaces[2].name).toBe('eth1');
    for (const [net, i] of [['thnback', 'eth1'], ['thnsingle', 'net9'], ['thnfront', 'eth0']]) {
      expect(h.cnitool(['disconnect', net!, netnsPath(ctr), '-i', i!], { host }).code).toBe(0);
    }
    expect(linkNames(ctr)).toEqual(['lo']);
  });
});

describe('Docker network modes', () => {
  it('none: a loopback-only list brings lo up and adds nothing else', () => {
    const ctr = createNetns('thn-c');
    sh(['ip', '-n', ctr, 'link', 'set', 'lo', 'down']);
    const r = h.cnitool(['add', 'thnnone', netnsPath(ctr)], { host });
    expect(r.code, r.stderr).toBe(0);
    expect(linkNames(ctr)).toEqual(['lo']);
    expect(addrsOf(ctr, 'lo')).toEqual(['127.0.0.1/8']);
    expect(JSON.parse(sh(['ip', '-n', ctr, '-j', 'link', 'show', 'lo']))[0].flags).toContain('UP');
    expect(h.cnitool(['del', 'thnnone', netnsPath(ctr)], { host }).code).toBe(0);
  });
});

describe('netns helpers', () => {
  it('add creates /var/run/netns/<name>, ls lists it, del removes it', () => {
    const name = `thn-${process.pid}-helper`;
    try {
      const a = h.cnitool(['netns', 'add', name]);
      expect([a.code, a.stdout, a.stderr]).toEqual([0, `/var/run/netns/${name}\n`, '']);
      expect(fs.statfsSync(`/var/run/netns/${name}`).type).toBe(0x6e736673);
      expect(h.cnitool(['netns', 'ls']).stdout.split('\n')).toContain(name);
      const d = h.cnitool(['netns', 'del', name]);
      expect(d.code, d.stderr).toBe(0);
      expect(fs.existsSync(`/var/run/netns/${name}`)).toBe(false);
      const bad = h.cnitool(['netns', 'add', '../etc']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^invalid netns name/);
    } finally {
      sh(['ip', 'netns', 'del', name], { allowFail: true });
    }
  });
});
