// bridge end to end: real namespaces, real veths, real traffic, both firewall backends.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns, leakedNetns, deleteNetns, netnsPath, sh } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { HOST_UPLINK, OUTSIDE_ADDR, addrs, leases, links, makeLab, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab();
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const netName = () => String(lab.conf().name);

describe('bridge: docker0 model', () => {
  for (const backend of ['nftables', 'iptables']) {
    it(`two containers talk, reach the gateway, and go out masqueraded (${backend})`, async () => {
      const conf = lab.conf({ ipMasq: true, ipMasqBackend: backend });
      const [a, b] = [lab.ctr(), lab.ctr()];
      const ra = lab.bridge('ADD', a, conf);
      expect(ra.code, ra.stdout).toBe(0);
      const rb = lab.bridge('ADD', b, conf);
      expect(rb.code, rb.stdout).toBe(0);
      const ipA = ra.json.ips[0].address.split('/')[0];
      const ipB = rb.json.ips[0].address.split('/')[0];
      expect(ipA).not.toBe(ipB);
      expect(ra.json.interfaces.map((i: any) => i.name)).toEqual(['tbr0', expect.stringMatching(/^veth[0-9a-f]{8}$/), 'eth0']);
      expect(ra.json.ips[0]).toMatchObject({ gateway: '10.50.0.1', interface: 2 });

      expect(ping(a, ipB)).toBe(true);
      expect(ping(a, '10.50.0.1')).toBe(true);
      const srvB = await startTcpServer(b, '0.0.0.0', 8081);
      const out = await startTcpServer(lab.outside, '0.0.0.0', 8082);
      try {
        expect(tcpRequest(a, ipB, 8081)).toBe(ipA); // same bridge: no NAT
        expect(tcpRequest(a, OUTSIDE_ADDR, 8082)).toBe(HOST_UPLINK); // outside sees the host
      } finally {
        srvB.stop();
        out.stop();
      }
      const dump = backend === 'nftables' ? inNetns(lab.host, ['nft', 'list', 'table', 'inet', 'tscni_masq']) : inNetns(lab.host, ['iptables-save', '-t', 'nat']);
      expect(dump).toContain(ipA);

      for (const ns of [a, b]) expect(lab.bridge('DEL', ns, conf).code).toBe(0);
      const after = backend === 'nftables' ? inNetns(lab.host, ['nft', 'list', 'table', 'inet', 'tscni_masq']) : inNetns(lab.host, ['iptables-save', '-t', 'nat']);
      expect(after).not.toContain(ipA);
      expect(after).not.toContain(ipB);
      expect(leases(lab.dataDir, netName())).toEqual([]);
      expect(links(lab.host).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
    });
  }

  it('dual-stack: v4 and v6 addresses, routes and v6 traffic', () => {
    const conf = lab.conf({}, { subnet: undefined, ranges: [[{ subnet: '10.50.0.0/24' }], [{ subnet: 'fd50::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] });
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = lab.bridge('ADD', a, conf);
    expect(ra.code, ra.stdout).toBe(0);
    expect(ra.json.ips.map((i: any) => i.address)).toEqual(['10.50.0.2/24', 'fd50::2/64']);
    expect(lab.bridge('ADD', b, conf).code).toBe(0);
    expect(addrs(a, 'eth0')).toEqual(['10.50.0.2/24', 'fd50::2/64']);
    expect(addrs(lab.host, 'tbr0')).toEqual(['10.50.0.1/24', 'fd50::1/64']);
    expect(inNetns(a, ['ip', '-6', 'route', 'show', 'default'])).toMatch(/default via fd50::1 dev eth0/);
    expect(ping(a, 'fd50::3')).toBe(true);
    expect(ping(a, 'fd50::1')).toBe(true);
  });

  it('mtu applies to both veth ends; hairpin and isolation set the port flags', () => {
    const conf = lab.conf({ mtu: 1400, hairpinMode: true });
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    const hostVeth = links(lab.host).find((l) => l.ifname === r.json.interfaces[1].name);
    expect(hostVeth.mtu).toBe(1400);
    expect(hostVeth.linkinfo.info_slave_data.hairpin).toBe(true);
    expect(links(a).find((l) => l.ifname === 'eth0').mtu).toBe(1400);
    expect(r.json.interfaces[2].mtu).toBe(1400);
  });

  it('portIsolation: isolated containers cannot talk to each other, only to the gateway', () => {
    const conf = lab.conf({ portIsolation: true });
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = lab.bridge('ADD', a, conf);
    const rb = lab.bridge('ADD', b, conf);
    const hostVeth = links(lab.host).find((l) => l.ifname === ra.json.interfaces[1].name);
    expect(hostVeth.linkinfo.info_slave_data.isolated).toBe(true);
    expect(ping(a, '10.50.0.1')).toBe(true);
    expect(ping(a, rb.json.ips[0].address.split('/')[0])).toBe(false);
  });

  it('isDefaultGateway adds the default route without IPAM routes', () => {
    const conf = lab.conf({ isGateway: false, isDefaultGateway: true }, { routes: [] });
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    expect(inNetns(a, ['ip', 'route', 'show', 'default'])).toMatch(/default via 10\.50\.0\.1 dev eth0/);
    expect(r.json.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.50.0.1' }]);
    expect(addrs(lab.host, 'tbr0')).toEqual(['10.50.0.1/24']);
  });

  it('macspoofchk drops frames with a spoofed source MAC', () => {
    const conf = lab.conf({ macspoofchk: true });
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = lab.bridge('ADD', a, conf);
    expect(ra.code, ra.stdout).toBe(0);
    const rb = lab.bridge('ADD', b, conf);
    const ipB = rb.json.ips[0].address.split('/')[0];
    expect(ping(a, ipB)).toBe(true);
    sh(['ip', '-n', a, 'link', 'set', 'eth0', 'address', '02:de:ad:be:ef:01']);
    sh(['ip', '-n', a, 'neigh', 'flush', 'all']);
    sh(['ip', '-n', b, 'neigh', 'flush', 'all']);
    expect(ping(a, ipB)).toBe(false);
    expect(lab.bridge('DEL', a, conf).code).toBe(0);
    expect(inNetns(lab.host, ['nft', 'list', 'table', 'bridge', 'tscni_macspoof'])).not.toContain(`id-${a}`);
  });

  it('vlan: refused with a clear error on a kernel without bridge VLAN filtering, nothing left', () => {
    const probe = sh(['ip', '-n', lab.host, 'link', 'add', 'vfprobe', 'type', 'bridge', 'vlan_filtering', '1'], { allowFail: true });
    const supported = links(lab.host).some((l) => l.ifname === 'vfprobe');
    void probe;
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf({ vlan: 100 }));
    if (supported) {
      // Kernels with CONFIG_BRIDGE_VLAN_FILTERING: the port carries vlan 100 as PVID.
      expect(r.code, r.stdout).toBe(0);
      const v = JSON.parse(inNetns(lab.host, ['bridge', '-j', 'vlan', 'show', 'dev', r.json.interfaces[1].name]));
      expect(JSON.stringify(v)).toContain('"vlan":100');
    } else {
      expect(r.json.code).toBe(2);
      expect(r.json.msg).toMatch(/VLAN filtering/);
      expect(links(lab.host).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
      expect(links(a).map((l) => l.ifname)).toEqual(['lo']);
    }
    expect(lab.bridge('ADD', a, lab.conf({ vlan: 5000 })).json).toMatchObject({ code: 7, msg: expect.stringMatching(/invalid VLAN ID 5000/) });
  });
});

describe('bridge: failures roll back, DEL is idempotent', () => {
  it('an exhausted IPAM range leaves no veth and no bridge it created', () => {
    const conf = lab.conf({}, { subnet: '10.50.0.0/30' });
    const [a, b] = [lab.ctr(), lab.ctr()];
    expect(lab.bridge('ADD', a, conf).code).toBe(0);
    const r = lab.bridge('ADD', b, conf);
    expect(r.code).not.toBe(0);
    expect(r.json.code).toBe(110);
    expect(links(b).map((l) => l.ifname)).toEqual(['lo']);
    expect(links(lab.host).filter((l) => l.ifname.startsWith('veth'))).toHaveLength(1);
  });

  it('a foreign address on the bridge without forceAddress fails and releases the lease', () => {
    sh(['ip', '-n', lab.host, 'link', 'add', 'tbr0', 'type', 'bridge']);
    sh(['ip', '-n', lab.host, 'addr', 'add', '10.50.0.200/24', 'dev', 'tbr0']);
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf());
    expect(r.code).not.toBe(0);
    expect(r.json.msg).toMatch(/already has an IP address different from 10\.50\.0\.1\/24/);
    expect(leases(lab.dataDir, netName())).toEqual([]);
    expect(links(lab.host).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
    expect(links(lab.host).some((l) => l.ifname === 'tbr0')).toBe(true); // it pre-existed: kept
    const forced = lab.bridge('ADD', a, lab.conf({ forceAddress: true }));
    expect(forced.code, forced.stdout).toBe(0);
    expect(addrs(lab.host, 'tbr0')).toEqual(['10.50.0.1/24']);
  });

  it('a name that exists but is not a bridge is refused', () => {
    sh(['ip', '-n', lab.host, 'link', 'add', 'tbr0', 'type', 'veth', 'peer', 'name', 'tbr0p']);
    const r = lab.bridge('ADD', lab.ctr(), lab.conf());
    expect(r.json.msg).toMatch(/tbr0 already exists but is not a bridge/);
    expect(leases(lab.dataDir, netName())).toEqual([]);
  });

  it('an interface name already in the container is refused and nothing is allocated', () => {
    const a = lab.ctr();
    sh(['ip', '-n', a, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0']);
    const r = lab.bridge('ADD', a, lab.conf());
    expect(r.json.msg).toMatch(/eth0.*already exists/);
    expect(leases(lab.dataDir, netName())).toEqual([]);
  });

  for (const backend of ['nftables', 'iptables']) {
    it(`DEL twice, and DEL after the netns is gone leaves no rule and no lease (${backend})`, () => {
      const conf = lab.conf({ ipMasq: true, ipMasqBackend: backend });
      const a = lab.ctr();
      const r = lab.bridge('ADD', a, conf);
      expect(r.code, r.stdout).toBe(0);
      const ip = r.json.ips[0].address.split('/')[0];
      const nsPath = netnsPath(a);
      const id = `id-${a}`;
      deleteNetns(a);
      const delConf = { ...conf, prevResult: r.json };
      const env = { CNI_CONTAINERID: id, CNI_NETNS: nsPath };
      for (let i = 0; i < 2; i++) {
        const d = lab.bridge('DEL', a, delConf, env);
        expect(d.code, d.stdout).toBe(0);
      }
      const dump = backend === 'nftables' ? inNetns(lab.host, ['nft', 'list', 'ruleset']) : inNetns(lab.host, ['iptables-save', '-t', 'nat']);
      expect(dump).not.toContain(ip);
      expect(leases(lab.dataDir, netName())).toEqual([]);
    });
  }

  it('CHECK passes on a fresh ADD and names what drifted', () => {
    const conf = lab.conf({ ipMasq: true });
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, conf);
    const withPrev = { ...conf, prevResult: r.json };
    const ok = lab.bridge('CHECK', a, withPrev);
    expect(ok.code, ok.stdout).toBe(0);
    sh(['ip', '-n', a, 'addr', 'del', r.json.ips[0].address, 'dev', 'eth0']);
    const bad = lab.bridge('CHECK', a, withPrev);
    expect(bad.code).not.toBe(0);
    expect(bad.json.msg).toMatch(/address 10\.50\.0\.2\/24 is missing on eth0/);
    expect(lab.bridge('CHECK', a, conf).json.msg).toMatch(/prevResult/);
  });

  it('GC releases leases and masquerade entries of attachments that are not valid', () => {
    const conf = lab.conf({ ipMasq: true });
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = lab.bridge('ADD', a, conf);
    const rb = lab.bridge('ADD', b, conf);
    const gc = lab.bridge('GC', a, { ...conf, 'cni.dev/valid-attachments': [{ containerID: `id-${a}`, ifname: 'eth0' }] });
    expect(gc.code, gc.stdout).toBe(0);
    expect(leases(lab.dataDir, netName())).toEqual([ra.json.ips[0].address.split('/')[0]]);
    const dump = inNetns(lab.host, ['nft', 'list', 'table', 'inet', 'tscni_masq']);
    expect(dump).toContain(ra.json.ips[0].address.split('/')[0]);
    expect(dump).not.toContain(rb.json.ips[0].address.split('/')[0]);
  });

  it('STATUS delegates to IPAM: a full range is code 50', () => {
    const conf = lab.conf({}, { subnet: '10.50.0.0/30' });
    expect(lab.bridge('STATUS', lab.host, conf).code).toBe(0);
    lab.bridge('ADD', lab.ctr(), conf);
    const s = lab.bridge('STATUS', lab.host, conf);
    expect(s.json.code).toBe(50);
  });

  it('bad config names the field and changes nothing', () => {
    const a = lab.ctr();
    for (const [conf, re] of [
      [lab.conf({ mtu: 'big' }), /field "mtu"/],
      [lab.conf({ hairpinMode: true, promiscMode: true }), /hairpin.*promisc/],
      [lab.conf({ bridge: 'a-name-much-too-long' }), /field "bridge"/],
      [lab.conf({ ipMasq: true, ipMasqBackend: 'pf' }), /ipMasqBackend/],
      [lab.conf({ vlanTrunk: [{ minID: 5 }] }), /minID and maxID/],
    ] as const) {
      const r = lab.bridge('ADD', a, conf);
      expect(r.code).not.toBe(0);
      expect(r.json.msg).toMatch(re);
    }
    expect(links(lab.host).map((l) => l.ifname).sort()).toEqual(['lo', 'uplink']);
    expect(leases(lab.dataDir, netName())).toEqual([]);
  });
});

describe('bridge: differential against the reference plugin', () => {
  it('same conflist → same result shape and same kernel state', () => {
    const refHost = lab.host;
    const mk = (bridgeName: string, dataDir: string) => ({ ...lab.conf({ bridge: bridgeName, cniVersion: '1.0.0' }, { dataDir }) });
    const [ours, ref] = [lab.ctr(), lab.ctr()];
    const ro = lab.bridge('ADD', ours, mk('tbro', `${lab.dataDir}/o`));
    const rr = refRun(refHost, ref, mk('tbrr', `${lab.dataDir}/r`));
    expect(ro.code, ro.stdout).toBe(0);
    expect(rr.code, rr.stdout).toBe(0);
    const shape = (j: any) => ({
      keys: Object.keys(j).filter((k) => k !== 'dns').sort(),
      ifaces: j.interfaces.map((i: any) => Object.keys(i).sort()),
      ips: j.ips.map((i: any) => ({ ...i, address: i.address })),
      routes: j.routes,
    });
    expect(shape(ro.json)).toEqual(shape(rr.json));
    const state = (ns: string) => ({
      addrs: addrs(ns, 'eth0'),
      routes: JSON.parse(inNetns(ns, ['ip', '-j', 'route'])).map((r: any) => `${r.dst} ${r.gateway ?? ''} ${r.dev}`),
      up: links(ns).find((l) => l.ifname === 'eth0').operstate,
    });
    expect(state(ours)).toEqual(state(ref));
    const hostPort = (br: string) => links(refHost).find((l) => l.master === br);
    expect(hostPort('tbro').linkinfo.info_slave_data.hairpin).toBe(hostPort('tbrr').linkinfo.info_slave_data.hairpin);
    expect(addrs(refHost, 'tbro')).toEqual(addrs(refHost, 'tbrr'));
  });
});

import { spawnSync } from 'node:child_process';
function refRun(host: string, ns: string, conf: object) {
  const r = spawnSync('ip', ['netns', 'exec', host, '/usr/lib/cni/bridge'], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CNI_COMMAND: 'ADD', CNI_CONTAINERID: `ref-${ns}`, CNI_NETNS: netnsPath(ns), CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
  });
  return { code: r.status, stdout: r.stdout, json: JSON.parse(r.stdout) };
}
