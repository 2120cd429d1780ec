// Pool selection, --subnet/--gateway/--ip-range pairing and the conflist each driver gets, as
// pure functions of the command line and the facts about the host.
import { describe, expect, it } from 'vitest';
import { defaultVni, renderConflist } from '../../../plugins/cnitool/create/conflist';
import { parseCreateArgs } from '../../../plugins/cnitool/create/flags';
import { driverOptions } from '../../../plugins/cnitool/create/options';
import { planNetwork, type PlanFacts } from '../../../plugins/cnitool/create/plan';
import { pickFromPools, type Occupied } from '../../../plugins/cnitool/create/pool';
import { subnetSpecs } from '../../../plugins/cnitool/create/subnets';
import { validateConflist } from '../../../plugins/cnitool/create/validate';
import { parseSubnet, subnetText } from '../../../shared/overlay/addr';

const occ = (cidr: string, what = cidr): Occupied => ({ subnet: parseSubnet(cidr)!, what });
const pick = (f: 4 | 6, used: string[]): string | undefined => {
  const s = pickFromPools(f, used.map((u) => occ(u)));
  return s && subnetText(s);
};

describe('default pools', () => {
  it('takes the first free /24 of 172.17-31, then 192.168', () => {
    expect(pick(4, [])).toBe('172.17.0.0/24');
    expect(pick(4, ['172.17.0.0/24', '172.17.1.128/25'])).toBe('172.17.2.0/24');
    // A docker0 on 172.17.0.0/16 is skipped as a whole.
    expect(pick(4, ['172.17.0.0/16', '172.18.0.0/24'])).toBe('172.18.1.0/24');
    // Bigger blocks than the pool (a 172.16.0.0/12 route) push it to 192.168.
    expect(pick(4, ['172.16.0.0/12'])).toBe('192.168.0.0/24');
    expect(pick(4, ['172.16.0.0/12', '192.168.0.0/17'])).toBe('192.168.128.0/24');
    expect(pick(4, ['172.16.0.0/12', '192.168.0.0/16'])).toBeUndefined();
    // Other families do not count.
    expect(pick(4, ['fd00::/8'])).toBe('172.17.0.0/24');
  });

  it('IPv6: /64s of fd42:7473:636e::/48', () => {
    expect(pick(6, [])).toBe('fd42:7473:636e::/64');
    expect(pick(6, ['fd42:7473:636e::/63'])).toBe('fd42:7473:636e:2::/64');
  });
});

describe('subnetSpecs', () => {
  it('pairs the N-th gateway and ip-range with the N-th subnet', () => {
    const s = subnetSpecs(['10.1.0.0/24', 'fd00:1::/64'], ['10.1.0.254', 'fd00:1::1'], ['10.1.0.128/25', 'fd00:1::/120']);
    expect(s.map((x) => ({ ...x, subnet: subnetText(x.subnet) }))).toEqual([
      // host-local's own end (.254: never the broadcast address) needs no rangeEnd.
      { subnet: '10.1.0.0/24', gateway: '10.1.0.254', rangeStart: '10.1.0.128' },
      { subnet: 'fd00:1::/64', gateway: 'fd00:1::1', rangeEnd: 'fd00:1::ff' },
    ]);
    // A range covering the whole subnet needs no rangeStart/rangeEnd.
    expect(subnetSpecs(['10.2.0.0/24'], [], ['10.2.0.0/24'])[0]).toEqual({ subnet: parseSubnet('10.2.0.0/24') });
    expect(subnetSpecs(['10.2.0.0/24'], [], ['10.2.0.64/26'])[0]).toMatchObject({ rangeStart: '10.2.0.64', rangeEnd: '10.2.0.127' });
  });

  it('refuses what Docker refuses', () => {
    expect(() => subnetSpecs(['10.1.0.0/24'], ['10.2.0.1'], [])).toThrow('--gateway 10.2.0.1 is outside its subnet 10.1.0.0/24');
    expect(() => subnetSpecs(['10.1.0.0/24'], ['10.1.0.0'], [])).toThrow('--gateway 10.1.0.0 is the network address of 10.1.0.0/24');
    expect(() => subnetSpecs(['10.1.0.0/24'], ['10.1.0.255'], [])).toThrow('--gateway 10.1.0.255 is the broadcast address of 10.1.0.0/24');
    expect(() => subnetSpecs(['10.1.0.0/24'], [], ['10.1.1.0/25'])).toThrow('--ip-range 10.1.1.0/25 is outside its subnet 10.1.0.0/24');
    expect(() => subnetSpecs(['10.1.0.0/24'], ['10.1.0.1', '10.1.0.2'], [])).toThrow('--gateway 10.1.0.2 has no --subnet');
    expect(() => subnetSpecs([], [], ['10.1.0.0/25'])).toThrow('--ip-range 10.1.0.0/25 has no --subnet');
    expect(() => subnetSpecs(['10.1.0.1/24'], [], [])).toThrow('invalid --subnet 10.1.0.1/24: host bits are set (did you mean 10.1.0.0/24?)');
    expect(() => subnetSpecs(['10.1.0.0'], [], [])).toThrow(/^invalid --subnet "10.1.0.0": not a CIDR/);
    expect(() => subnetSpecs(['10.1.0.0/16', '10.1.2.0/24'], [], [])).toThrow('--subnet 10.1.2.0/24 overlaps --subnet 10.1.0.0/16');
    expect(() => subnetSpecs(['10.1.0.0/24'], ['nope'], [])).toThrow('invalid --gateway "nope": not an IP address');
  });
});

const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({ networks: [], host: [], linkNames: ['lo', 'eth0'], addresses: ['192.0.2.11'], ...over });
const plan = (argv: string[], f: Partial<PlanFacts> = {}): ReturnType<typeof planNetwork> => {
  const a = parseCreateArgs(argv);
  return planNetwork(a, driverOptions(a.driver, a.opts), facts(f));
};
const conflist = (argv: string[], f: Partial<PlanFacts> = {}): any => {
  const c = renderConflist(plan(argv, f));
  validateConflist(c);
  return c;
};

describe('planNetwork', () => {
  it('refuses a subnet overlapping another network or the host, naming it', () => {
    const f = { networks: [occ('10.1.0.0/16', 'network "web" (10.1.0.0/16)')], host: [occ('192.0.2.0/24', 'host route 192.0.2.0/24 dev eth0')] };
    expect(() => plan(['--subnet', '10.1.7.0/24', 'n'], f)).toThrow('pool overlaps with network "web" (10.1.0.0/16): --subnet 10.1.7.0/24');
    expect(() => plan(['--subnet', '192.0.2.128/25', 'n'], f)).toThrow('pool overlaps with host route 192.0.2.0/24 dev eth0: --subnet 192.0.2.128/25');
    // A macvlan network lives on its parent's LAN, which the host routes: only networks count.
    expect(plan(['-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '192.0.2.0/24', 'n'], f).subnets).toHaveLength(1);
    expect(() => plan(['-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.1.0.0/24', 'n'], f)).toThrow(/^pool overlaps with network "web"/);
  });

  it('takes defaults from the pools around what is used; --ipv6 adds a v6 subnet', () => {
    const f = { networks: [occ('172.17.0.0/24')], host: [occ('172.17.1.0/24')] };
    expect(plan(['n'], f).subnets.map((s) => subnetText(s.subnet))).toEqual(['172.17.2.0/24']);
    expect(plan(['--ipv6', 'n'], f).subnets.map((s) => subnetText(s.subnet))).toEqual(['172.17.2.0/24', 'fd42:7473:636e::/64']);
    expect(plan(['--ipv6', '--subnet', '10.5.0.0/24', 'n'], f).subnets.map((s) => subnetText(s.subnet))).toEqual(['10.5.0.0/24', 'fd42:7473:636e::/64']);
    expect(plan(['--subnet', 'fd00:5::/64', 'n'], f).subnets.map((s) => subnetText(s.subnet))).toEqual(['fd00:5::/64']);
    expect(() => plan(['n'], { host: [occ('172.16.0.0/12'), occ('192.168.0.0/16')] })).toThrow(/^no free IPv4 subnet left in the default pools/);
  });

  it('checks the macvlan parent and the vxlan underlay exist', () => {
    expect(() => plan(['-d', 'macvlan', '-o', 'parent=eth9', 'n'])).toThrow('-o parent=eth9: no link named eth9 on this host');
    expect(() => plan(['-d', 'vxlan', '-o', 'etcd=http://e:2379', '-o', 'underlay=und0', 'n'])).toThrow('-o underlay=und0: no link named und0 on this host');
    expect(() => plan(['-d', 'vxlan', '-o', 'etcd=http://e:2379', '--subnet', '10.0.0.0/24', '--subnet', '10.0.1.0/24', 'n'])).toThrow('the vxlan driver takes one --subnet');
    expect(() => plan(['-d', 'vxlan', '-o', 'etcd=http://e:2379', '--subnet', '10.0.0.0/24', '--gateway', '10.0.0.1', 'n'])).toThrow(/--gateway is not used by the vxlan driver/);
  });
});

describe('renderConflist', () => {
  it('bridge: bridge + host-local + portmap + firewall + tuning + dnsname, marked as created', () => {
    const c = conflist(['--subnet', '10.7.0.0/24', '--gateway', '10.7.0.254', '-o', 'mtu=1400', '-o', 'isolate=true', '-o', 'data_dir=/d', 'appnet']);
    expect(c).toEqual({
      cniVersion: '1.1.0',
      name: 'appnet',
      'x-tscni-created': true,
      plugins: [
        {
          type: 'bridge', bridge: 'cni-appnet', isGateway: true, ipMasq: true, hairpinMode: true, mtu: 1400,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.7.0.0/24', gateway: '10.7.0.254' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/d/networks' },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'firewall', ingressPolicy: 'same-bridge' },
        { type: 'tuning', dataDir: '/d/tuning' },
        { type: 'dnsname', domainName: 'dns.podman', capabilities: { aliases: true }, stateDir: '/d/dnsname' },
      ],
    });
  });

  it('bridge --internal: no default route, no masquerade, no portmap; --dns=false drops dnsname and the gateway', () => {
    const c = conflist(['--internal', '--subnet', '10.8.0.0/24', '--subnet', 'fd00:8::/64', 'in']);
    expect(c.plugins.map((p: any) => p.type)).toEqual(['bridge', 'firewall', 'tuning', 'dnsname']);
    expect(c.plugins[0]).toMatchObject({ isGateway: true, ipMasq: false });
    expect(c.plugins[0].ipam.routes).toBeUndefined();
    const quiet = conflist(['--internal', '--dns=false', 'in']);
    expect(quiet.plugins.map((p: any) => p.type)).toEqual(['bridge', 'firewall', 'tuning']);
    expect(quiet.plugins[0]).toMatchObject({ isGateway: false, ipMasq: false });
    // Dual stack: a default route per family.
    expect(conflist(['--subnet', '10.8.0.0/24', '--subnet', 'fd00:8::/64', 'ds']).plugins[0].ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    // Long names keep a hash so the bridge name fits 15 bytes.
    expect(conflist(['a-rather-long-network-name']).plugins[0].bridge).toMatch(/^cni-a-rat.*-[0-9a-f]{5}$/);
  });

  it('macvlan: the parent, the mode and host-local with routes', () => {
    const c = conflist(['-d', 'macvlan', '-o', 'parent=eth0', '-o', 'macvlan_mode=private', '--subnet', '192.0.2.0/24', '--gateway', '192.0.2.1', '--ip-range', '192.0.2.64/26', 'lan']);
    expect(c.plugins).toEqual([
      { type: 'macvlan', master: 'eth0', mode: 'private', ipam: { type: 'host-local', ranges: [[{ subnet: '192.0.2.0/24', rangeStart: '192.0.2.64', rangeEnd: '192.0.2.127', gateway: '192.0.2.1' }]], routes: [{ dst: '0.0.0.0/0' }] } },
    ]);
  });

  it('vxlan with etcd: store, per-host share size, removeWhenIdle; the VNI derived from the name', () => {
    const c = conflist(['-d', 'vxlan', '-o', 'etcd=https://e:2379', '-o', 'etcd-ca=/ca', '-o', 'etcd-cert=/c', '-o', 'etcd-key=/k', '-o', 'underlay=eth0', '--subnet', '10.50.0.0/24', '-o', 'data_dir=/d', 'ovl']);
    expect(c.plugins).toEqual([
      {
        type: 'vxlan', mode: 'l2', vni: defaultVni('ovl'), underlay: { interface: 'eth0' }, network: '10.50.0.0/24',
        store: { type: 'etcd', endpoints: ['https://e:2379'], tls: { ca: '/ca', cert: '/c', key: '/k' } },
        nodeBlockLen: 26, ipMasq: false, ipam: { type: 'host-local', dataDir: '/d/networks' }, stateDir: '/d/vxlan', removeWhenIdle: true,
      },
    ]);
    expect(defaultVni('ovl')).toBeGreaterThanOrEqual(4096);
    expect(defaultVni('ovl')).toBe(defaultVni('ovl'));
    const l3 = conflist(['-d', 'vxlan', '-o', 'mode=l3', '-o', 'vni=7', '-o', 'etcd=http://e:2379', '--subnet', '10.244.0.0/16', 'k']);
    expect(l3.plugins[0]).toMatchObject({ mode: 'l3', vni: 7, network: '10.244.0.0/16', subnetLen: 24, ipMasq: true, ipam: { routes: [{ dst: '0.0.0.0/0' }] } });
  });

  it('vxlan with a peers file: this host\'s entry gives its address and share', () => {
    const peers = [
      { name: 'h1', underlayIP: '192.0.2.11', nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.59' } },
      { name: 'h2', underlayIP: '192.0.2.12', nodeRange: { rangeStart: '10.50.0.60', rangeEnd: '10.50.0.109' } },
    ];
    const c = conflist(['-d', 'vxlan', '-o', 'peers=/p.json', '--subnet', '10.50.0.0/24', 'ov'], { peers });
    expect(c.plugins[0]).toMatchObject({ underlay: { address: '192.0.2.11' }, nodeRange: peers[0]!.nodeRange, peers });
    expect(c.plugins[0].nodeBlockLen).toBeUndefined();
    expect(() => plan(['-d', 'vxlan', '-o', 'peers=/p.json', 'ov'], { peers, addresses: ['198.51.100.1'] })).toThrow('-o peers=/p.json: no entry has an underlayIP of this host (198.51.100.1)');
    expect(() => plan(['-d', 'vxlan', '-o', 'peers=/p.json', 'ov'], { peers: { a: 1 } })).toThrow(/must be a JSON list of hosts/);
    // The plugin's own validation runs on the result: an l2 peer without a share is refused.
    const bad = [{ underlayIP: '192.0.2.11' }];
    expect(() => conflist(['-d', 'vxlan', '-o', 'peers=/p.json', '--subnet', '10.50.0.0/24', 'ov'], { peers: bad })).toThrow(/^vxlan: invalid network config: field "nodeRange"/);
  });
});
