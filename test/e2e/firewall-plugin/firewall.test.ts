// The firewall plugin end to end: real conflists through our cnitool in a throwaway host netns,
// real TCP between container, outside and other-network namespaces, kernel state read back with
// iptables-save / nft -j. Both backends; `auto` under the two kinds of FORWARD DROP.
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { OUT_V4, OUT_V6, World } from './world';

const worlds: World[] = [];
function world(): World {
  const w = new World();
  worlds.push(w);
  return w;
}
afterEach(() => {
  while (worlds.length) worlds.pop()!.destroy();
});
afterAll(() => {
  expect(leakedNetns().filter((n) => n.startsWith('trt-'))).toEqual([]);
});

const PORT = 7070;
const cnifwdRules = (w: World, family: 4 | 6 = 4): string[] => w.iptablesSave(family).split('\n').filter((l) => l.startsWith('-A CNI-FORWARD ') && l.includes('ifname'));

beforeAll(() => {
  // The plugin must be in the build under test.
  new World().destroy();
});

describe('iptables FORWARD policy DROP (Docker-style host)', () => {
  it('without the firewall plugin the container is cut off; with it (auto → iptables) traffic flows both ways on the bridge and out', async () => {
    const w = world();
    w.setForwardPolicy('DROP');
    w.writeNetwork({ name: 'nofw', bridge: 'trtb0', n: 1, firewall: false });
    w.writeNetwork({ name: 'fw', bridge: 'trtb1', n: 2 });
    const bare = w.attach('nofw');
    await w.serve(bare, PORT);
    expect(w.reaches(bare.netns, '192.168.79.2', 9)).toBe(false);

    const a = w.attach('fw');
    const b = w.attach('fw');
    await w.serve(a, PORT);
    await w.serve(b, PORT);
    // nothing of ours in nftables: auto picked iptables because of the DROP policy
    expect(w.nftTable()).toEqual([]);
    const rules = cnifwdRules(w);
    expect(rules.filter((l) => l.includes(`-d ${a.v4}/32`) && l.includes('RELATED,ESTABLISHED'))).toHaveLength(1);
    expect(rules.filter((l) => l.includes(`-s ${a.v4}/32`))).toHaveLength(1);
    expect(w.iptablesSave()).toMatch(/^-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD$/m);
    expect(w.iptablesSave()).toMatch(/^-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN$/m);
    // container <-> container on the bridge (br_netfilter sends it through FORWARD) and back
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(true);
    expect(w.reaches(b.netns, a.v4, PORT)).toBe(true);
    // a new connection from outside to the container is not accepted (reference semantics)
    expect(w.reaches(w.out, a.v4, PORT)).toBe(false);
    // the bare network's container stays cut off: the accepts are per address
    expect(w.reaches(w.out, bare.v4, PORT)).toBe(false);

    expect(w.cnitool(['check', 'fw', a.path]).code).toBe(0);
    expect(w.cnitool(['del', 'fw', a.path]).code).toBe(0);
    expect(cnifwdRules(w).filter((l) => l.includes(a.v4 + '/'))).toEqual([]);
    expect(cnifwdRules(w).filter((l) => l.includes(b.v4 + '/'))).toHaveLength(3);
  });

  it('published ports (portmap) are reachable from outside under DROP: ctstate DNAT is accepted', async () => {
    const w = world();
    w.setForwardPolicy('DROP');
    w.writeNetwork({ name: 'pub', bridge: 'trtb0', n: 3, portmap: true });
    const a = w.attach('pub', undefined, { portMappings: [{ hostPort: 18080, containerPort: PORT, protocol: 'tcp' }] });
    await w.serve(a, PORT);
    expect(w.reaches(w.out, '192.168.79.1', 18080)).toBe(true);
    expect(w.reaches(w.out, a.v4, PORT)).toBe(false);
    expect(w.cnitool(['del', 'pub', a.path]).code).toBe(0);
  });

  it('dual-stack: ip6tables gets the same layout, IPv6 traffic flows under an ip6tables DROP policy', async () => {
    const w = world();
    w.setForwardPolicy('DROP', 4);
    w.setForwardPolicy('DROP', 6);
    w.writeNetwork({ name: 'ds', bridge: 'trtb0', n: 4, dualStack: true });
    const a = w.attach('ds');
    await w.serve(a, PORT);
    expect(a.v6).toBeDefined();
    expect(cnifwdRules(w, 6).filter((l) => l.includes(`${a.v6}/128`))).toHaveLength(3);
    // outbound from the container: a listener outside answers (reply is ESTABLISHED)
    await w.serve({ netns: w.out, path: '', result: {}, v4: OUT_V4 }, PORT + 1);
    expect(w.reaches(a.netns, OUT_V6, PORT + 1)).toBe(true);
    expect(w.reaches(a.netns, OUT_V4, PORT + 1)).toBe(true);
    expect(w.cnitool(['del', 'ds', a.path]).code).toBe(0);
    expect(cnifwdRules(w, 6)).toEqual([]);
    expect(cnifwdRules(w, 4)).toEqual([]);
  });

  it('explicit backend nftables cannot overrule an iptables DROP (documented): traffic stays blocked', async () => {
    const w = world();
    w.setForwardPolicy('DROP');
    w.writeNetwork({ name: 'nf', bridge: 'trtb0', n: 5, firewall: { backend: 'nftables' } });
    const a = w.attach('nf');
    const b = w.attach('nf');
    await w.serve(b, PORT);
    expect(w.nftSet('ctr4').map((e) => e.key).sort()).toEqual([a.v4, b.v4].sort());
    expect(cnifwdRules(w)).toEqual([]);
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(false);
  });

  it('the admin chain is consulted before the accepts (custom iptablesAdminChainName)', async () => {
    const w = world();
    w.setForwardPolicy('DROP');
    w.writeNetwork({ name: 'adm', bridge: 'trtb0', n: 6, firewall: { iptablesAdminChainName: 'MY-ADMIN' } });
    const a = w.attach('adm');
    const b = w.attach('adm');
    await w.serve(b, PORT);
    expect(w.iptablesSave()).toMatch(/^-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j MY-ADMIN$/m);
    expect(w.iptablesSave()).not.toMatch(/CNI-ADMIN/);
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(true);
    w.h('iptables', '-A', 'MY-ADMIN', '-s', a.v4, '-j', 'DROP');
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(false);
    // our DEL and a later ADD never touch the operator's rule
    expect(w.cnitool(['del', 'adm', b.path]).code).toBe(0);
    w.attach('adm');
    expect(w.iptablesSave()).toContain(`-A MY-ADMIN -s ${a.v4}/32 -j DROP`);
  });
});

describe('no iptables DROP: auto → nftables', () => {
  it('one element per address with the owner tag, one transaction; CHECK, DEL (with and without prevResult), repeated DEL', () => {
    const w = world();
    w.writeNetwork({ name: 'n1', bridge: 'trtb0', n: 7, dualStack: true });
    const a = w.attach('n1');
    const cid = w.nftSet('ctr4')[0]?.comment?.split('/')[1];
    expect(cid).toMatch(/^cnitool-/);
    expect(w.nftSet('ctr4')).toEqual([{ key: a.v4, comment: `n1/${cid}/eth0` }]);
    expect(w.nftSet('ctr6')).toEqual([{ key: a.v6, comment: `n1/${cid}/eth0` }]);
    expect(cnifwdRules(w)).toEqual([]);
    const fwd = w.nftTable().find((o) => o.chain?.name === 'forward')?.chain;
    expect(fwd).toMatchObject({ hook: 'forward', type: 'filter', prio: 0, policy: 'accept' });
    expect(w.cnitool(['check', 'n1', a.path]).code).toBe(0);

    // CHECK notices a missing element and names it
    w.h('nft', 'delete', 'element', 'inet', 'tscni_firewall', 'ctr4', `{ ${a.v4} }`);
    const chk = w.cnitool(['check', 'n1', a.path]);
    expect(chk.code).not.toBe(0);
    expect(chk.stderr + chk.stdout).toContain(`no accept entry for ${a.v4}`);
    expect(w.cnitool(['del', 'n1', a.path]).code).toBe(0);
    expect(w.nftSet('ctr6')).toEqual([]);

    // DEL without prevResult finds the entries by owner
    const b = w.attach('n1');
    expect(w.nftSet('ctr4').map((e) => e.key)).toEqual([b.v4]);
    const conf = { cniVersion: '1.1.0', name: 'n1', type: 'firewall' };
    const env = { CNI_CONTAINERID: w.nftSet('ctr4')[0]!.comment!.split('/')[1], CNI_IFNAME: 'eth0', CNI_NETNS: b.path };
    expect(w.firewall('DEL', conf, env).code).toBe(0);
    expect(w.nftSet('ctr4')).toEqual([]);
    expect(w.nftSet('ctr6')).toEqual([]);
    expect(w.firewall('DEL', conf, env).code).toBe(0);
  });

  it('ingressPolicy same-bridge: isolated networks cannot reach each other, same bridge and open networks can', async () => {
    const w = world();
    w.writeNetwork({ name: 'iso1', bridge: 'trtb1', n: 11, firewall: { ingressPolicy: 'same-bridge' } });
    w.writeNetwork({ name: 'iso2', bridge: 'trtb2', n: 12, firewall: { ingressPolicy: 'same-bridge' } });
    w.writeNetwork({ name: 'open', bridge: 'trtb3', n: 13 });
    const a1 = w.attach('iso1');
    const a2 = w.attach('iso1');
    const b1 = w.attach('iso2');
    const o1 = w.attach('open');
    for (const c of [a1, a2, b1, o1]) await w.serve(c, PORT);
    expect(w.nftSet('policy_br').map((e) => e.key).sort()).toEqual(['trtb1', 'trtb2']);
    expect(w.nftSet('samebr4').map((e) => e.key).sort()).toEqual([`${a1.v4} . trtb1`, `${a2.v4} . trtb1`, `${b1.v4} . trtb2`].sort());
    expect(w.reaches(a1.netns, a2.v4, PORT)).toBe(true);
    expect(w.reaches(a1.netns, b1.v4, PORT)).toBe(false);
    expect(w.reaches(b1.netns, a1.v4, PORT)).toBe(false);
    expect(w.reaches(o1.netns, a1.v4, PORT)).toBe(true);
    expect(w.reaches(a1.netns, o1.v4, PORT)).toBe(true);
    expect(w.reaches(w.out, a1.v4, PORT)).toBe(true);
    expect(w.cnitool(['check', 'iso1', a1.path]).code).toBe(0);
  });

  it('ingressPolicy isolated cuts traffic inside the bridge; its state goes with its containers, so a bridge name reused by an open network inherits nothing', async () => {
    const w = world();
    w.writeNetwork({ name: 'iso', bridge: 'trtb1', n: 14, firewall: { ingressPolicy: 'isolated' } });
    const a = w.attach('iso');
    const b = w.attach('iso');
    await w.serve(b, PORT);
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(false);
    expect(w.reaches(w.out, b.v4, PORT)).toBe(true);
    expect(w.nftSet('isolated4').map((e) => e.key).sort()).toEqual([`${a.v4} . trtb1`, `${b.v4} . trtb1`].sort());
    w.detach('iso', a);
    w.detach('iso', b);
    expect(w.nftSet('isolated4')).toEqual([]);
    expect(w.nftSet('policy_br')).toEqual([]);
    // the network is re-created as open on the same bridge name (as podman reuses cni-podmanN)
    w.writeNetwork({ name: 'iso', bridge: 'trtb1', n: 14 });
    const c = w.attach('iso');
    const d = w.attach('iso');
    await w.serve(d, PORT);
    expect(w.reaches(c.netns, d.v4, PORT)).toBe(true);
  });

  it('the nft admin chain drops before the accepts and survives ADD/DEL', async () => {
    const w = world();
    w.writeNetwork({ name: 'adm', bridge: 'trtb0', n: 15 });
    const a = w.attach('adm');
    const b = w.attach('adm');
    await w.serve(b, PORT);
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(true);
    w.h('nft', 'add', 'rule', 'inet', 'tscni_firewall', 'admin', 'ip', 'saddr', a.v4, 'drop');
    expect(w.reaches(a.netns, b.v4, PORT)).toBe(false);
    expect(w.cnitool(['del', 'adm', b.path]).code).toBe(0);
    w.attach('adm');
    expect(w.nftTable().filter((o) => o.rule?.chain === 'admin')).toHaveLength(1);
  });

  it('GC removes the entries of attachments not in the valid list, on this network only', () => {
    const w = world();
    w.writeNetwork({ name: 'g1', bridge: 'trtb0', n: 16 });
    w.writeNetwork({ name: 'g2', bridge: 'trtb1', n: 17 });
    w.attach('g1');
    w.attach('g1');
    const other = w.attach('g2');
    const tags = w.nftSet('ctr4').filter((e) => e.comment!.startsWith('g1/'));
    const keep = tags[0]!.comment!.split('/');
    const r = w.firewall('GC', { cniVersion: '1.1.0', name: 'g1', type: 'firewall', 'cni.dev/valid-attachments': [{ containerID: keep[1], ifname: 'eth0' }] });
    expect(r.code).toBe(0);
    expect(w.nftSet('ctr4').map((e) => e.key).sort()).toEqual([tags[0]!.key, other.v4].sort());
  });

  it('GC on the iptables backend', () => {
    const w = world();
    w.setForwardPolicy('DROP');
    w.writeNetwork({ name: 'g1', bridge: 'trtb0', n: 18 });
    const a = w.attach('g1');
    w.attach('g1');
    const cid = /id: \\"([^\\]+)\\"/.exec(cnifwdRules(w).find((l) => l.includes(a.v4 + '/'))!)![1];
    const r = w.firewall('GC', { cniVersion: '1.1.0', name: 'g1', type: 'firewall', 'cni.dev/valid-attachments': [{ containerID: cid, ifname: 'eth0' }] });
    expect(r.code).toBe(0);
    expect(cnifwdRules(w)).toHaveLength(3);
    expect(cnifwdRules(w).every((l) => l.includes(a.v4 + '/'))).toBe(true);
  });
});

describe('protocol', () => {
  const prev = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'trtb9' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/x' }],
    ips: [{ address: '10.79.99.5/24', gateway: '10.79.99.1', interface: 2 }],
  };
  const env = { CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0', CNI_NETNS: '/var/run/netns/x' };

  it('passes prevResult through, converted to the config version', () => {
    const w = world();
    const r = w.firewall('ADD', { cniVersion: '0.4.0', name: 'p', type: 'firewall', prevResult: { ...prev, cniVersion: '0.4.0', ips: [{ ...prev.ips[0], version: '4' }] } }, env);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '0.4.0', interfaces: prev.interfaces, ips: [{ ...prev.ips[0], version: '4' }] });
    expect(w.nftSet('ctr4')).toEqual([{ key: '10.79.99.5', comment: 'p/c1/eth0' }]);
  });

  it('bad input is refused with the right code, naming the field, and nothing changes', () => {
    const w = world();
    const base = { cniVersion: '1.0.0', name: 'p', type: 'firewall', prevResult: prev };
    const cases: [object, number, string][] = [
      [{ ...base, backend: 'firewalld' }, 2, 'backend'],
      [{ ...base, backend: 'pf' }, 2, 'backend'],
      [{ ...base, ingressPolicy: 'closed' }, 2, 'ingressPolicy'],
      [{ ...base, iptablesAdminChainName: 'FORWARD' }, 7, 'iptablesAdminChainName'],
      [{ ...base, iptablesAdminChainName: 'has space' }, 7, 'iptablesAdminChainName'],
      [{ ...base, iptablesAdminChainName: 'X'.repeat(29) }, 7, 'iptablesAdminChainName'],
      [{ ...base, prevResult: undefined }, 7, 'prevResult'],
      [{ ...base, ingressPolicy: 'same-bridge', prevResult: { ...prev, interfaces: [prev.interfaces[2]] } }, 7, 'ingressPolicy'],
      [{ ...base, prevResult: { ...prev, ips: [{ address: '10.1.1.1' }] } }, 7, 'prevResult.ips'],
    ];
    for (const [conf, code, field] of cases) {
      const r = w.firewall('ADD', conf, env);
      expect(r.code, JSON.stringify(conf)).toBe(1);
      expect(r.json.code, JSON.stringify(r.json)).toBe(code);
      expect(JSON.stringify(r.json)).toContain(field);
    }
    expect(w.nftTable()).toEqual([]);
    expect(w.iptablesSave()).not.toContain('CNI-');
  });

  it('STATUS succeeds on both backends; CHECK without prevResult is refused', () => {
    const w = world();
    for (const backend of ['nftables', 'iptables', 'auto']) expect(w.firewall('STATUS', { cniVersion: '1.1.0', name: 'p', type: 'firewall', backend }).code).toBe(0);
    const r = w.firewall('CHECK', { cniVersion: '1.1.0', name: 'p', type: 'firewall' }, env);
    expect(r.json.code).toBe(7);
  });

  it('ADD twice is idempotent on both backends (no duplicate rules or elements)', () => {
    const w = world();
    const conf = { cniVersion: '1.0.0', name: 'p', type: 'firewall', prevResult: prev, ingressPolicy: 'same-bridge' };
    for (const backend of ['nftables', 'iptables']) {
      for (let i = 0; i < 2; i++) expect(w.firewall('ADD', { ...conf, backend }, env).code).toBe(0);
      expect(w.firewall('CHECK', { ...conf, backend }, env).code).toBe(0);
    }
    const save = w.iptablesSave();
    const lines = (prefix: string): string[] => save.split('\n').filter((l) => l.startsWith(prefix));
    // ingress jump + admin jump + 3 per address; one FORWARD jump; the reference's per-bridge chains unused
    expect(lines('-A CNI-FORWARD ')).toHaveLength(5);
    expect(lines('-A FORWARD ')).toHaveLength(1);
    expect(lines('-A CNI-ISOLATION-')).toEqual([]);
    // same-bridge: the shared reply RETURN, then "own bridge may connect" and "not from other isolating bridges"
    expect(lines('-A CNI-INGRESS ')).toHaveLength(3);
    expect(lines('-A CNI-INGRESS-CONTAINERS ')).toEqual(['-A CNI-INGRESS-CONTAINERS -i trtb9 -m comment --comment "name: \\"p\\" id: \\"c1\\" ifname: \\"eth0\\"" -j DROP']);
    expect(lines('-A CNI-INGRESS-ISOLATING ')).toHaveLength(1);
    expect(w.nftSet('ctr4')).toHaveLength(1);
    // DEL on one backend sweeps the other's entries too (both were used on this host)
    expect(w.firewall('DEL', { ...conf, backend: 'nftables' }, env).code).toBe(0);
    expect(w.nftSet('ctr4')).toEqual([]);
    expect(w.iptablesSave().split('\n').filter((l) => l.startsWith('-A CNI-') && l.includes('id: \\"c1\\"'))).toEqual([]);
  });

  it('coexists with the reference firewall plugin (1.1.1, iptables): shared chains, each DEL removes only its own rules', () => {
    const w = world();
    const ref = (command: string, conf: object, e: Record<string, string>): number =>
      spawnSync('ip', ['netns', 'exec', w.host, '/usr/lib/cni/firewall'], { input: JSON.stringify(conf), env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_PATH: '/usr/lib/cni', ...e }, encoding: 'utf8' }).status ?? -1;
    const refPrev = { ...prev, ips: [{ address: '10.79.99.7/24', gateway: '10.79.99.1', interface: 2 }] };
    const refEnv = { CNI_CONTAINERID: 'ref1', CNI_IFNAME: 'eth0', CNI_NETNS: '/var/run/netns/x' };
    expect(ref('ADD', { cniVersion: '1.0.0', name: 'p', type: 'firewall', backend: 'iptables', prevResult: refPrev }, refEnv)).toBe(0);
    const conf = { cniVersion: '1.0.0', name: 'p', type: 'firewall', backend: 'iptables', prevResult: prev };
    expect(w.firewall('ADD', conf, env).code).toBe(0);
    expect(w.firewall('CHECK', conf, env).code).toBe(0);
    expect(ref('CHECK', { cniVersion: '1.0.0', name: 'p', type: 'firewall', backend: 'iptables', prevResult: refPrev }, refEnv)).toBe(0);
    expect(w.iptablesSave().split('\n').filter((l) => l.startsWith('-A FORWARD'))).toHaveLength(1);
    expect(w.firewall('DEL', conf, env).code).toBe(0);
    const left = w.iptablesSave().split('\n').filter((l) => l.startsWith('-A CNI-FORWARD'));
    expect(left.some((l) => l.includes('10.79.99.7/32'))).toBe(true);
    expect(left.some((l) => l.includes('10.79.99.5/32'))).toBe(false);
    expect(ref('DEL', { cniVersion: '1.0.0', name: 'p', type: 'firewall', backend: 'iptables', prevResult: refPrev }, refEnv)).toBe(0);
    // left: the shared jumps (admin, ingress policy) and the ingress chain's shared reply rule
    expect(w.iptablesSave().split('\n').filter((l) => l.startsWith('-A CNI-') && l.includes('ifname'))).toEqual([]);
  });
});
