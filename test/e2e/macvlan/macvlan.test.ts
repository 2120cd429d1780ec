// macvlan end to end: containers as hosts on a veth "LAN", real traffic, every verb.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { LAN_PREFIX, MASTER, OUTSIDE_ADDR, addrs, ipOf, leases, link, links, makeLab, neighMac, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab();
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const mv = (cmd: string, ns: string, conf: Record<string, unknown>, extra?: Record<string, string>) => lab.plugin('macvlan', cmd, ns, conf, extra);
const withPrev = (conf: Record<string, unknown>, prev: unknown) => ({ ...conf, prevResult: prev });
const net = () => String(lab.conf().name);

describe('macvlan: containers as hosts on the LAN', () => {
  it('bridge mode: containers reach each other and the outside host, which sees their own addresses and MACs', async () => {
    const conf = lab.conf();
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = mv('ADD', a, conf);
    expect(ra.code, ra.stdout + ra.stderr).toBe(0);
    const rb = mv('ADD', b, conf);
    expect(rb.code, rb.stdout).toBe(0);
    expect(ra.json.interfaces).toEqual([{ name: 'eth0', mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), sandbox: netnsPath(a) }]);
    expect(ra.json.ips).toEqual([{ interface: 0, address: `${LAN_PREFIX}.10/24`, gateway: OUTSIDE_ADDR }]);
    expect(ra.json.routes).toEqual([{ dst: '0.0.0.0/0' }]);

    const la = link(a, 'eth0');
    expect(la.linkinfo.info_kind).toBe('macvlan');
    expect(la.linkinfo.info_data.mode).toBe('bridge');
    expect(la.address).toBe(ra.json.interfaces[0].mac);
    expect(la.operstate).not.toBe('DOWN');
    expect(addrs(a, 'eth0')).toEqual([`${LAN_PREFIX}.10/24`]);
    expect(inNetns(a, ['ip', 'route', 'show', 'default'])).toMatch(new RegExp(`default via ${OUTSIDE_ADDR} dev eth0`));
    // Nothing was created in the host netns: the macvlan was born in the container.
    expect(links(lab.host).map((l) => l.ifname).sort()).toEqual(['lan0', 'lo']);

    const [ipA, ipB] = [ipOf(ra), ipOf(rb)];
    expect(ping(a, ipB)).toBe(true);
    expect(ping(a, OUTSIDE_ADDR)).toBe(true);
    const srvB = await startTcpServer(b, '0.0.0.0', 8081);
    const srvOut = await startTcpServer(lab.outside, '0.0.0.0', 8082);
    try {
      expect(tcpRequest(a, ipB, 8081)).toBe(ipA);
      expect(tcpRequest(a, OUTSIDE_ADDR, 8082)).toBe(ipA); // no NAT: the LAN sees the container itself
      expect(tcpRequest(lab.outside, ipB, 8081)).toBe(OUTSIDE_ADDR);
    } finally {
      srvB.stop();
      srvOut.stop();
    }
    expect(neighMac(lab.outside, ipA)).toBe(ra.json.interfaces[0].mac);
    expect(neighMac(lab.outside, ipB)).toBe(rb.json.interfaces[0].mac);

    for (const ns of [a, b]) expect(mv('DEL', ns, conf).code).toBe(0);
    expect(links(a).map((l) => l.ifname)).toEqual(['lo']);
    expect(leases(lab.dataDir, net())).toEqual([]);
  });

  it('private mode: containers cannot talk to each other, only to the LAN', () => {
    const conf = lab.conf({ mode: 'private' });
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = mv('ADD', a, conf);
    expect(ra.code, ra.stdout).toBe(0);
    const rb = mv('ADD', b, conf);
    expect(link(a, 'eth0').linkinfo.info_data.mode).toBe('private');
    expect(ping(a, OUTSIDE_ADDR)).toBe(true);
    expect(ping(b, OUTSIDE_ADDR)).toBe(true);
    expect(ping(a, ipOf(rb))).toBe(false);
  });

  for (const mode of ['vepa', 'passthru'] as const) {
    it(`${mode} mode is what the kernel reports, and CHECK agrees`, () => {
      const conf = lab.conf({ mode });
      const a = lab.ctr();
      const r = mv('ADD', a, conf);
      expect(r.code, r.stdout).toBe(0);
      expect(link(a, 'eth0').linkinfo.info_data.mode).toBe(mode);
      expect(mv('CHECK', a, withPrev(conf, r.json)).code).toBe(0);
      expect(mv('CHECK', a, withPrev(lab.conf({ mode: 'bridge' }), r.json)).json.msg).toMatch(new RegExp(`mode is ${mode}, config says bridge`));
    });
  }

  it('mtu: applied and reported; larger than the master is code 7 naming mtu, nothing left behind', () => {
    const a = lab.ctr();
    const r = mv('ADD', a, lab.conf({ mtu: 1400 }));
    expect(r.code, r.stdout).toBe(0);
    expect(link(a, 'eth0').mtu).toBe(1400);
    expect(r.json.interfaces[0].mtu).toBe(1400);
    expect(ping(a, OUTSIDE_ADDR, { size: 1372, dontFragment: true })).toBe(true);
    expect(ping(a, OUTSIDE_ADDR, { size: 1373, dontFragment: true })).toBe(false);

    const b = lab.ctr();
    const bad = mv('ADD', b, lab.conf({ mtu: 9000 }));
    expect(bad.json).toMatchObject({ code: 7, msg: expect.stringMatching(/MTU 9000 in field "mtu".*1500/) });
    expect(links(b).map((l) => l.ifname)).toEqual(['lo']);
    expect(leases(lab.dataDir, net())).toHaveLength(1);
  });

  it('MAC: config, CNI_ARGS MAC= (IgnoreUnknown respected) and the mac capability, in that order of strength', () => {
    const [a, b, c] = [lab.ctr(), lab.ctr(), lab.ctr()];
    const ra = mv('ADD', a, lab.conf({ mac: '02:aa:00:00:00:01' }));
    expect(ra.json.interfaces[0].mac).toBe('02:aa:00:00:00:01');
    expect(link(a, 'eth0').address).toBe('02:aa:00:00:00:01');
    const rb = mv('ADD', b, lab.conf({ mac: '02:aa:00:00:00:01' }), { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02:AA:00:00:00:02' });
    expect(link(b, 'eth0').address).toBe('02:aa:00:00:00:02');
    expect(rb.json.interfaces[0].mac).toBe('02:aa:00:00:00:02');
    // IgnoreUnknown is needed here as with the reference: host-local does not know MAC.
    const rc = mv('ADD', c, lab.conf({ runtimeConfig: { mac: '02:aa:00:00:00:03' } }), { CNI_ARGS: 'IgnoreUnknown=1;MAC=02:aa:00:00:00:04' });
    expect(rc.code, rc.stdout).toBe(0);
    expect(link(c, 'eth0').address).toBe('02:aa:00:00:00:03');
    expect(ping(c, OUTSIDE_ADDR)).toBe(true);
    expect(neighMac(lab.outside, ipOf(rc))).toBe('02:aa:00:00:00:03');

    const d = lab.ctr();
    expect(mv('ADD', d, lab.conf(), { CNI_ARGS: 'FOO=1' }).json.code).toBe(4);
    expect(mv('ADD', d, lab.conf(), { CNI_ARGS: 'IgnoreUnknown=1;MAC=nope' }).json).toMatchObject({ code: 4, msg: expect.stringContaining('MAC') });
    expect(mv('ADD', d, lab.conf({}, null), { CNI_ARGS: 'MAC=02:aa:00:00:00:05' }).code).toBe(0);
    expect(link(d, 'eth0').address).toBe('02:aa:00:00:00:05');
    const e = lab.ctr();
    expect(mv('ADD', e, lab.conf({ mac: 'zz' })).json).toMatchObject({ code: 7, msg: expect.stringContaining('"mac"') });
    expect(links(e).map((l) => l.ifname)).toEqual(['lo']);
  });

  it('no master: the interface of the host default route is used', () => {
    sh(['ip', '-n', lab.host, 'link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1']);
    const conf = lab.conf({ master: undefined });
    delete conf.master;
    const a = lab.ctr();
    const r = mv('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    expect(ping(a, OUTSIDE_ADDR)).toBe(true); // only lan0 leads to the outside host
    sh(['ip', '-n', lab.host, 'route', 'del', 'default']);
    const b = lab.ctr();
    expect(mv('ADD', b, conf).json).toMatchObject({ code: 7, msg: expect.stringMatching(/no default route interface/) });
  });

  it('linkInContainer: the master lives in the container netns', () => {
    const a = lab.ctr();
    const far = createNetns('ttm-far');
    sh(['ip', '-n', a, 'link', 'add', 'cmaster', 'type', 'veth', 'peer', 'name', 'farend', 'netns', far]);
    sh(['ip', '-n', a, 'link', 'set', 'cmaster', 'up']);
    sh(['ip', '-n', far, 'addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'farend']);
    sh(['ip', '-n', far, 'link', 'set', 'farend', 'up']);
    const conf = lab.conf({ master: 'cmaster', linkInContainer: true });
    const r = mv('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    const l = link(a, 'eth0');
    expect(l.linkinfo.info_kind).toBe('macvlan');
    expect(l.link).toBe('cmaster');
    expect(ping(a, OUTSIDE_ADDR)).toBe(true);
    expect(mv('CHECK', a, withPrev(conf, r.json)).code).toBe(0);
    expect(mv('ADD', lab.ctr(), conf).json).toMatchObject({ code: 7, msg: expect.stringMatching(/"cmaster".*container netns/) });
    expect(mv('DEL', a, conf).code).toBe(0);
    expect(links(a).map((x) => x.ifname).sort()).toEqual(['cmaster', 'lo']);
  });

  it('L2 only without IPAM: the interface is up, the result has no IPs', () => {
    const conf = lab.conf({}, null);
    const a = lab.ctr();
    const r = mv('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.ips).toBeUndefined();
    expect(link(a, 'eth0').flags).toContain('UP');
    expect(addrs(a, 'eth0')).toEqual([]);
    expect(mv('CHECK', a, withPrev(conf, r.json)).code).toBe(0);
    expect(mv('DEL', a, conf).code).toBe(0);
    expect(link(a, 'eth0')).toBeUndefined();
  });

  it('every CNI version renders its own result shape', () => {
    for (const v of ['0.3.1', '0.4.0', '1.0.0']) {
      const a = lab.ctr();
      const r = mv('ADD', a, lab.conf({ cniVersion: v }));
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.cniVersion).toBe(v);
      if (v !== '1.0.0') expect(r.json.ips[0].version).toBe('4');
      expect(mv('DEL', a, lab.conf({ cniVersion: v })).code).toBe(0);
    }
    const a = lab.ctr();
    const r = mv('ADD', a, lab.conf({ cniVersion: '0.2.0' }));
    expect(r.json.ip4.ip).toMatch(new RegExp(`^${LAN_PREFIX}\\.`));
  });
});

describe('macvlan: failures roll back; DEL, CHECK, STATUS, GC', () => {
  it('a route IPAM asks for that cannot be added: no link and no lease remain', () => {
    const a = lab.ctr();
    const r = mv('ADD', a, lab.conf({}, { routes: [{ dst: '203.0.113.0/24', gw: '192.0.2.1' }] }));
    expect(r.code).not.toBe(0);
    expect(JSON.stringify(r.json)).toMatch(/route|ENETUNREACH/i);
    expect(links(a).map((l) => l.ifname)).toEqual(['lo']);
    expect(leases(lab.dataDir, net())).toEqual([]);
  });

  it('an exhausted range: no link remains in the container', () => {
    const conf = lab.conf({}, { rangeStart: `${LAN_PREFIX}.10`, rangeEnd: `${LAN_PREFIX}.10` });
    expect(mv('ADD', lab.ctr(), conf).code).toBe(0);
    const b = lab.ctr();
    const r = mv('ADD', b, conf);
    expect(r.json.code).toBe(110);
    expect(links(b).map((l) => l.ifname)).toEqual(['lo']);
  });

  it('an existing interface of that name is refused and left alone, also by the DEL that follows', () => {
    const a = lab.ctr();
    sh(['ip', '-n', a, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0']);
    const conf = lab.conf();
    const r = mv('ADD', a, conf);
    expect(r.json.msg).toMatch(/eth0.*already exists/);
    expect(leases(lab.dataDir, net())).toEqual([]);
    expect(mv('DEL', a, conf).code).toBe(0);
    expect(link(a, 'eth0').linkinfo.info_kind).toBe('veth');
  });

  it('DEL is idempotent and releases the address even when the netns is gone', () => {
    const conf = lab.conf();
    const a = lab.ctr();
    const r = mv('ADD', a, conf);
    expect(leases(lab.dataDir, net())).toEqual([ipOf(r)]);
    expect(mv('DEL', a, withPrev(conf, r.json)).code).toBe(0);
    expect(mv('DEL', a, conf).code).toBe(0);
    const b = lab.ctr();
    expect(mv('ADD', b, conf).code).toBe(0);
    deleteNetns(b);
    const d = mv('DEL', b, conf);
    expect(d.code, d.stdout).toBe(0);
    expect(d.stdout).toBe('');
    expect(leases(lab.dataDir, net())).toEqual([]);
  });

  it('CHECK passes after ADD and names what is missing', () => {
    const conf = lab.conf();
    const a = lab.ctr();
    const r = mv('ADD', a, conf);
    const full = withPrev(conf, r.json);
    expect(mv('CHECK', a, full).code).toBe(0);
    expect(mv('CHECK', a, conf).json.msg).toMatch(/prevResult/);
    sh(['ip', '-n', a, 'route', 'del', 'default']);
    expect(mv('CHECK', a, full).json.msg).toMatch(/route to 0\.0\.0\.0\/0/);
    sh(['ip', '-n', a, 'addr', 'flush', 'dev', 'eth0']);
    expect(mv('CHECK', a, full).json.msg).toMatch(new RegExp(`address ${ipOf(r)}/24 is missing`));
    sh(['ip', '-n', a, 'link', 'del', 'eth0']);
    expect(mv('CHECK', a, full).json.msg).toMatch(/eth0 does not exist/);
  });

  it('STATUS: fine with the master, code 50 without it; delegated to IPAM', () => {
    const c = lab.conf();
    const st = (conf: Record<string, unknown>) => lab.plugin('macvlan', 'STATUS', lab.host, conf, { CNI_CONTAINERID: undefined as any, CNI_NETNS: undefined as any, CNI_IFNAME: undefined as any });
    expect(st(c).code).toBe(0);
    expect(st(lab.conf({ master: 'nope0' })).json).toMatchObject({ code: 50, msg: expect.stringContaining('nope0') });
    const noIpam = lab.conf({}, { type: 'no-such-ipam' });
    expect(st(noIpam).json.code).toBe(7);
  });

  it('GC delegates to IPAM: leases of attachments not in the valid list go', () => {
    const conf = lab.conf();
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = mv('ADD', a, conf);
    mv('ADD', b, conf);
    expect(leases(lab.dataDir, net())).toHaveLength(2);
    const gc = lab.plugin('macvlan', 'GC', lab.host, { ...conf, 'cni.dev/valid-attachments': [{ containerID: `id-${path.basename(a)}`, ifname: 'eth0' }] });
    expect(gc.code, gc.stdout).toBe(0);
    expect(leases(lab.dataDir, net())).toEqual([ipOf(ra)]);
  });
});

describe('conf-examples', () => {
  it('macvlan.conflist through cnitool: add, check, del', () => {
    const list = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../conf-examples/macvlan.conflist'), 'utf8'));
    // Only the machine-specific parts change: the master, and a private IPAM store.
    list.plugins[0].master = MASTER;
    list.plugins[0].ipam.dataDir = lab.dataDir;
    const dir = path.join(lab.root, 'netconf');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'macvlan.conflist'), JSON.stringify(list));
    const a = lab.ctr();
    const env = { NETCONFPATH: dir };
    const add = lab.cnitool(['add', list.name, netnsPath(a)], env);
    expect(add.code, add.stderr).toBe(0);
    const res = JSON.parse(add.stdout);
    expect(res.interfaces[0]).toMatchObject({ name: 'eth0', sandbox: netnsPath(a) });
    expect(link(a, 'eth0').linkinfo.info_data.mode).toBe(list.plugins[0].mode ?? 'bridge');
    expect(ping(a, OUTSIDE_ADDR)).toBe(true);
    expect(lab.cnitool(['check', list.name, netnsPath(a)], env).code).toBe(0);
    expect(lab.cnitool(['status', list.name], env).code).toBe(0);
    expect(lab.cnitool(['del', list.name, netnsPath(a)], env).code).toBe(0);
    expect(links(a).map((l) => l.ifname)).toEqual(['lo']);
    expect(leases(lab.dataDir, list.name)).toEqual([]);
  });
});
