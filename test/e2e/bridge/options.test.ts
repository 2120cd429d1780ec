// bridge options the README promises, each against the real kernel: enabledad,
// disableContainerInterface, vlan/preserveDefaultVlan (where the kernel has VLAN filtering),
// promiscMode, the container MAC's sources and their order, the pinned bridge MAC, and CHECK of
// the host veth's MAC.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns, leakedNetns, sh } from '../../helpers/netns';
import { links, makeLab, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab();
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const v6only = { subnet: undefined, ranges: [[{ subnet: 'fd50::/64' }]], routes: [] };
const sysctl = (ns: string, key: string): string => inNetns(ns, ['cat', `/proc/sys/${key}`]).trim();
const v6Flags = (ns: string, addr: string): string[] => {
  const [l] = JSON.parse(inNetns(ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0']));
  const a = l.addr_info.find((x: any) => x.local === addr);
  return Object.keys(a ?? {}).filter((k) => ['nodad', 'tentative', 'dadfailed'].includes(k));
};

async function eventually(what: () => boolean, ms = 8000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (what()) return true;
  return what();
}

/** A host address squatting on the address host-local hands out first (fd50::2). */
function squat(): void {
  sh(['ip', '-n', lab.host, 'link', 'add', 'tbr0', 'type', 'bridge']);
  sh(['ip', '-n', lab.host, 'link', 'set', 'tbr0', 'up']);
  sh(['ip', '-n', lab.host, 'addr', 'add', 'fd50::2/64', 'dev', 'tbr0', 'nodad']);
}

describe('bridge: enabledad', () => {
  it('off (default): the container address skips DAD, so a duplicate goes unnoticed', () => {
    squat();
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf({ isGateway: false }, v6only));
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.ips[0].address).toBe('fd50::2/64');
    expect(sysctl(a, 'net/ipv6/conf/eth0/accept_dad')).toBe('0');
    expect(v6Flags(a, 'fd50::2')).toEqual(['nodad']);
  });

  it('on: the kernel runs DAD and marks the duplicate address dadfailed', async () => {
    squat();
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf({ isGateway: false, enabledad: true }, v6only));
    expect(r.code, r.stdout).toBe(0);
    expect(sysctl(a, 'net/ipv6/conf/eth0/accept_dad')).toBe('1');
    expect(sysctl(a, 'net/ipv6/conf/eth0/enhanced_dad')).toBe('1');
    expect(v6Flags(a, 'fd50::2')).not.toContain('nodad');
    expect(await eventually(() => v6Flags(a, 'fd50::2').includes('dadfailed'))).toBe(true);
  });
});

describe('bridge: disableContainerInterface', () => {
  const noIpam = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...lab.conf({ isGateway: false, ...extra }), ipam: undefined });

  it('the container end is created but left down; the host end is on the bridge and up', () => {
    const [a, b] = [lab.ctr(), lab.ctr()];
    const r = lab.bridge('ADD', a, noIpam({ disableContainerInterface: true }));
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.ips ?? []).toEqual([]);
    const eth0 = links(a).find((l) => l.ifname === 'eth0');
    expect(eth0.flags).not.toContain('UP');
    const hostVeth = links(lab.host).find((l) => l.ifname === r.json.interfaces[1].name);
    expect(hostVeth.master).toBe('tbr0');
    expect(hostVeth.flags).toContain('UP');
    // the same config without the option brings the container end up: the option is what differs
    const rb = lab.bridge('ADD', b, noIpam({}));
    expect(rb.code, rb.stdout).toBe(0);
    expect(links(b).find((l) => l.ifname === 'eth0').flags).toContain('UP');
    for (const ns of [a, b]) expect(lab.bridge('DEL', ns, noIpam({ disableContainerInterface: true })).code).toBe(0);
    expect(links(lab.host).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
  });

  it('with IPAM it is refused (code 7 naming both fields) before anything is made', () => {
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf({ disableContainerInterface: true }));
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringMatching(/"disableContainerInterface".*"ipam"/) });
    expect(links(lab.host).map((l) => l.ifname).sort()).toEqual(['lo', 'uplink']);
    expect(links(a).map((l) => l.ifname)).toEqual(['lo']);
  });
});

describe('bridge: vlan and preserveDefaultVlan', () => {
  const vlansOf = (dev: string): number[] => {
    const out = JSON.parse(inNetns(lab.host, ['bridge', '-j', 'vlan', 'show', 'dev', dev]) || '[]');
    return out.flatMap((p: any) => p.vlans.map((v: any) => v.vlan)).sort((x: number, y: number) => x - y);
  };
  const vlanFiltering = (): boolean => {
    sh(['ip', '-n', lab.host, 'link', 'add', 'vfprobe', 'type', 'bridge', 'vlan_filtering', '1'], { allowFail: true });
    const ok = links(lab.host).some((l) => l.ifname === 'vfprobe');
    sh(['ip', '-n', lab.host, 'link', 'del', 'vfprobe'], { allowFail: true });
    return ok;
  };

  it('vlan with vlanTrunk is refused (code 7 naming both) before anything is made', () => {
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf({ vlan: 100, vlanTrunk: [{ id: 200 }] }));
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringMatching(/"vlan", "vlanTrunk"/) });
    expect(links(lab.host).map((l) => l.ifname).sort()).toEqual(['lo', 'uplink']);
  });

  it('default keeps VLAN 1 on the port next to the access vlan; false leaves only the access vlan (kernels with VLAN filtering)', (t) => {
    if (!vlanFiltering()) {
      // This kernel lacks CONFIG_BRIDGE_VLAN_FILTERING: ADD is refused (code 2, bridge.test.ts);
      // the port logic is covered by test/unit/bridge/vlan-config.test.ts.
      t.skip();
      return;
    }
    const [a, b] = [lab.ctr(), lab.ctr()];
    const ra = lab.bridge('ADD', a, lab.conf({ vlan: 100, isGateway: false }));
    expect(ra.code, ra.stdout).toBe(0);
    expect(vlansOf(ra.json.interfaces[1].name)).toEqual([1, 100]);
    const rb = lab.bridge('ADD', b, lab.conf({ vlan: 100, isGateway: false, preserveDefaultVlan: false }));
    expect(rb.code, rb.stdout).toBe(0);
    expect(vlansOf(rb.json.interfaces[1].name)).toEqual([100]);
  });
});

describe('bridge: CHECK', () => {
  it("names a host veth whose MAC differs from prevResult's", () => {
    const conf = lab.conf();
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    const hostVeth = r.json.interfaces[1].name;
    const withPrev = { ...conf, prevResult: r.json };
    expect(lab.bridge('CHECK', a, withPrev).code).toBe(0);
    sh(['ip', '-n', lab.host, 'link', 'set', hostVeth, 'address', '02:00:00:00:be:ef']);
    const bad = lab.bridge('CHECK', a, withPrev);
    expect(bad.code).not.toBe(0);
    expect(bad.json.msg).toBe(`host veth ${hostVeth} MAC is 02:00:00:00:be:ef, prevResult says ${r.json.interfaces[1].mac}`);
  });
});

describe('bridge: MACs and promiscuous mode', () => {
  const mac = (ns: string, dev: string): string => links(ns).find((l) => l.ifname === dev).address;

  it('container MAC: runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC=, in the result too', () => {
    const [a, b, c] = [lab.ctr(), lab.ctr(), lab.ctr()];
    const env = { CNI_ARGS: 'IgnoreUnknown=1;MAC=02:aa:00:00:00:03' };
    const cases: [string, Record<string, unknown>, string][] = [
      [a, {}, '02:aa:00:00:00:03'],
      [b, { args: { cni: { mac: '02:aa:00:00:00:02' } } }, '02:aa:00:00:00:02'],
      [c, { args: { cni: { mac: '02:aa:00:00:00:02' } }, runtimeConfig: { mac: '02:aa:00:00:00:01' } }, '02:aa:00:00:00:01'],
    ];
    for (const [ns, extra, want] of cases) {
      const r = lab.bridge('ADD', ns, lab.conf(extra), env);
      expect(r.code, r.stdout).toBe(0);
      expect(mac(ns, 'eth0')).toBe(want);
      expect(r.json.interfaces[2]).toMatchObject({ name: 'eth0', mac: want });
    }
  });

  it('the bridge MAC is pinned at creation: a port with a lower MAC does not change it', () => {
    const a = lab.ctr();
    const r = lab.bridge('ADD', a, lab.conf());
    expect(r.code, r.stdout).toBe(0);
    const brMac = mac(lab.host, 'tbr0');
    expect(r.json.interfaces[0]).toEqual({ name: 'tbr0', mac: brMac });
    // An unpinned bridge takes the lowest MAC of its ports; 02:00:00:00:00:01 is lower than any random one.
    sh(['ip', '-n', lab.host, 'link', 'add', 'lowmac0', 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', 'lowmac1']);
    sh(['ip', '-n', lab.host, 'link', 'set', 'lowmac0', 'master', 'tbr0', 'up']);
    expect(mac(lab.host, 'tbr0')).toBe(brMac);
    expect(lab.bridge('CHECK', a, { ...lab.conf(), prevResult: r.json }).code).toBe(0);
  });

  it('promiscMode puts the bridge in promiscuous mode; CHECK says when it is off', () => {
    const a = lab.ctr();
    const conf = lab.conf({ promiscMode: true });
    const r = lab.bridge('ADD', a, conf);
    expect(r.code, r.stdout).toBe(0);
    expect(links(lab.host).find((l) => l.ifname === 'tbr0').promiscuity).toBeGreaterThan(0);
    sh(['ip', '-n', lab.host, 'link', 'set', 'tbr0', 'promisc', 'off']);
    expect(lab.bridge('CHECK', a, { ...conf, prevResult: r.json }).json.msg).toBe('bridge tbr0 promiscuous mode is false, config says true');
  });
});
