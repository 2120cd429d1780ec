// `cnitool network create` with the macvlan and vxlan drivers against the real kernel: the written
// conflist carries traffic between two containers, rm is refused while they are attached, and
// after the DELs rm leaves nothing of the network (while the macvlan parent, which is not the
// network's, stays). vxlan runs across two hosts that meet in a real etcd.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { ensureEtcd, makeLab, type Host, type Lab } from '../vxlan-etcd/fixture';
import type { CliRun } from './harness-env';
import { NetLab, ipOf } from './network-lab';
import { skipWithout } from '../../helpers/prereq';

afterAll(() => {
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});

describe('network create -d macvlan', () => {
  it('two containers on the parent talk to each other and the LAN; rm leaves the parent alone', async () => {
    const lab = new NetLab();
    try {
      const lan = createNetns('tnc-lan');
      sh(['ip', '-n', lab.host, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan]);
      sh(['ip', '-n', lab.host, 'link', 'set', 'lan0', 'up']);
      sh(['ip', '-n', lan, 'addr', 'add', '10.200.0.254/24', 'dev', 'eth0']);
      sh(['ip', '-n', lan, 'link', 'set', 'eth0', 'up']);
      const c = lab.cnitool(['network', 'create', '-d', 'macvlan', '-o', 'parent=lan0', '-o', 'macvlan_mode=bridge', '--subnet', '10.200.0.0/24', '--gateway', '10.200.0.254', '--ip-range', '10.200.0.64/26', '-o', `data_dir=${lab.data}`, 'lan']);
      expect([c.code, c.stdout, c.stderr]).toEqual([0, 'lan\n', '']);
      const [c1, c2] = [createNetns('tnc-c'), createNetns('tnc-c')];
      const r1 = lab.add('lan', c1, 'm1');
      const r2 = lab.add('lan', c2, 'm2');
      expect([ipOf(r1), ipOf(r2)]).toEqual(['10.200.0.64', '10.200.0.65']);
      expect(inNetns(c1, ['ip', 'route', 'show', 'default'])).toContain('via 10.200.0.254');
      const srv = await startTcpServer(c1, '0.0.0.0', 80);
      try {
        expect(tcpRequest(c2, ipOf(r1), 80)).toBe(ipOf(r2));
      } finally {
        srv.stop();
      }
      expect(ping(c1, '10.200.0.254')).toBe(true);

      const busy = lab.cnitool(['network', 'rm', 'lan']);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/^network lan has active endpoints: cnitool-[0-9a-f]{20}, cnitool-[0-9a-f]{20}\n$/);
      expect(lab.del('lan', c1).code).toBe(0);
      expect(lab.del('lan', c2).code).toBe(0);
      const rm = lab.cnitool(['network', 'rm', 'lan']);
      expect([rm.code, rm.stdout, rm.stderr]).toEqual([0, 'lan\n', '']);
      expect(fs.existsSync(lab.conflist('lan'))).toBe(false);
      expect(fs.existsSync(path.join(lab.data, 'networks', 'lan'))).toBe(false);
      expect(lab.linkNames()).toContain('lan0');
      expect(lab.linkNames(c1)).toEqual(['lo']);
    } finally {
      lab.cleanup();
    }
  });
});

const etcdMissing = skipWithout('network create -d vxlan (etcd)', ensureEtcd());

describe.skipIf(etcdMissing)('network create -d vxlan', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await makeLab(2);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });
  const dirs = (h: Host): { netconf: string; cache: string; data: string } => {
    const root = path.dirname(h.dataDir);
    return { netconf: path.join(root, 'net.d'), cache: path.join(root, 'cache'), data: path.join(root, 'data') };
  };
  const cnitool = (h: Host, args: string[]): CliRun => {
    const d = dirs(h);
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NETCONFPATH: d.netconf, CNI_CACHE_DIR: d.cache, CNI_PATH: binDir, TSCNI_RUN_DIR: path.join(d.data, 'run') };
    const r = spawnSync('ip', ['netns', 'exec', h.ns, bin('cnitool'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const add = (h: Host, net: string, ctr: string): any => {
    const r = cnitool(h, ['add', net, netnsPath(ctr)]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  /** rm on a host leaves nothing of the network there. */
  const expectGone = (h: Host, net: string, subnetPrefix: string): void => {
    const d = dirs(h);
    expect(fs.existsSync(path.join(d.netconf, `${net}.conflist`))).toBe(false);
    expect(fs.existsSync(path.join(d.data, 'networks', net))).toBe(false);
    expect(fs.existsSync(path.join(d.data, 'vxlan', net))).toBe(false);
    const links = JSON.parse(inNetns(h.ns, ['ip', '-j', 'link', 'show'])).map((l: any) => l.ifname);
    expect(links).not.toContain(`vx-${net}`);
    expect(links).not.toContain(`${net}0`);
    expect(inNetns(h.ns, ['nft', 'list', 'ruleset'])).not.toContain(subnetPrefix);
  };

  it('with etcd: two hosts create the same network, their containers talk across the overlay, rm leaves nothing', async () => {
    const [a, b] = lab.hosts as [Host, Host];
    for (const h of [a, b]) {
      const c = cnitool(h, ['network', 'create', '-d', 'vxlan', '-o', `etcd=${lab.etcd.url}`, '-o', 'underlay=und0', '--subnet', '10.60.0.0/24', '-o', `data_dir=${dirs(h).data}`, 'ov']);
      expect([c.code, c.stdout, c.stderr]).toEqual([0, 'ov\n', '']);
    }
    // Both hosts derived the same VNI from the name.
    const vni = (h: Host): number => JSON.parse(fs.readFileSync(path.join(dirs(h).netconf, 'ov.conflist'), 'utf8')).plugins[0].vni;
    expect(vni(a)).toBe(vni(b));

    const [c1, c2] = [lab.ctr(), lab.ctr()];
    const r1 = add(a, 'ov', c1);
    const r2 = add(b, 'ov', c2);
    // CHECK is a sync point: host A learns host B from the store.
    expect(cnitool(a, ['check', 'ov', netnsPath(c1)]).code).toBe(0);
    expect(ping(c1, ipOf(r2), { count: 3 })).toBe(true);
    const srv = await startTcpServer(c2, '0.0.0.0', 80);
    try {
      expect(tcpRequest(c1, ipOf(r2), 80)).toBe(ipOf(r1));
    } finally {
      srv.stop();
    }
    expect(Object.keys(lab.etcd.get('/tscni/vxlan/ov/nodes/'))).toHaveLength(2);

    const busy = cnitool(a, ['network', 'rm', 'ov']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/^network ov has active endpoints: cnitool-[0-9a-f]{20}\n$/);

    expect(cnitool(a, ['del', 'ov', netnsPath(c1)]).code).toBe(0);
    expect(cnitool(b, ['del', 'ov', netnsPath(c2)]).code).toBe(0);
    for (const h of [a, b]) {
      const rm = cnitool(h, ['network', 'rm', 'ov']);
      expect([rm.code, rm.stdout, rm.stderr]).toEqual([0, 'ov\n', '']);
      expectGone(h, 'ov', '10.60.0.');
    }
    // Both hosts left the store: no node record, no claimed block.
    expect(lab.etcd.get('/tscni/vxlan/ov/nodes/')).toEqual({});
    expect(lab.etcd.get('/tscni/vxlan/ov/blocks/')).toEqual({});
  });

  it('with a peers file: each host finds its own entry by its underlay address', async () => {
    const [a, b] = lab.hosts as [Host, Host];
    const peers = [
      { name: 'A', underlayIP: a.ip4, nodeRange: { rangeStart: '10.61.0.10', rangeEnd: '10.61.0.59' } },
      { name: 'B', underlayIP: b.ip4, nodeRange: { rangeStart: '10.61.0.60', rangeEnd: '10.61.0.109' } },
    ];
    const file = path.join(lab.tmp, 'peers.json');
    fs.writeFileSync(file, JSON.stringify(peers));
    for (const h of [a, b]) {
      const c = cnitool(h, ['network', 'create', '-d', 'vxlan', '-o', `peers=${file}`, '-o', 'underlay=und0', '--subnet', '10.61.0.0/24', '-o', `data_dir=${dirs(h).data}`, 'st']);
      expect([c.code, c.stderr]).toEqual([0, '']);
      const conf = JSON.parse(fs.readFileSync(path.join(dirs(h).netconf, 'st.conflist'), 'utf8')).plugins[0];
      expect(conf.underlay).toEqual({ interface: 'und0', address: h.ip4 });
    }
    const [c1, c2] = [lab.ctr(), lab.ctr()];
    const r1 = add(a, 'st', c1);
    const r2 = add(b, 'st', c2);
    expect(ipOf(r1)).toBe('10.61.0.10');
    expect(ipOf(r2)).toBe('10.61.0.60');
    expect(ping(c1, ipOf(r2), { count: 3 })).toBe(true);
    expect(cnitool(a, ['network', 'rm', '--force', 'st']).code).toBe(0);
    expect(cnitool(b, ['network', 'rm', '--force', 'st']).code).toBe(0);
    for (const h of [a, b]) expectGone(h, 'st', '10.61.0.');
  });
});
