// portmap's masquerade options by their effect on real connections: snat and masqAll on both
// backends (who the container sees as the client); markMasqBit and externalSetMarkChain, which
// only the iptables layout uses, by the rules they produce and the connection they make work.
// With nftables, also where the masquerade keys live (hash sets, one per prefix length).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { listedElements } from '../../../shared/firewall/nft/run';
import { BR_V4, HOST_V4, HOST_V6, OUT_V4, OUT_V6, World, type Container } from '../firewall/world';

const BR_V6 = 'fd88::1';

/** The sets of tscni_portmap: their elements (nft syntax, with comment) and flags. */
function portmapSets(netns: string): Map<string, { keys: string[]; comments: (string | undefined)[]; interval: boolean }> {
  const objs = JSON.parse(inNetns(netns, ['nft', '-j', 'list', 'table', 'inet', 'tscni_portmap'])).nftables as any[];
  const out = new Map<string, { keys: string[]; comments: (string | undefined)[]; interval: boolean }>();
  for (const o of objs) if (o.set) out.set(o.set.name, { keys: [], comments: [], interval: (o.set.flags ?? []).includes('interval') });
  for (const e of listedElements(objs)) {
    out.get(e.set)?.keys.push(e.key);
    out.get(e.set)?.comments.push(e.comment);
  }
  return out;
}

describe.each(['nftables', 'iptables'])('portmap snat / masqAll (%s)', (backend) => {
  let w: World;
  let c1: Container;
  let c2: Container;
  beforeAll(() => {
    w = new World('tpo');
    c1 = w.addContainer();
    c2 = w.addContainer();
    w.serve(c1.name, 'c1', [80]);
    w.serve(c2.name, 'c2', [80]);
  });
  afterAll(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tpo') || n.startsWith('tfw'))).toEqual([]);
  });

  const conf = (extra: Record<string, unknown>) => ({
    cniVersion: '1.1.0',
    name: 'tponet',
    type: 'portmap',
    backend,
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
    prevResult: w.prevResult(c1),
    ...extra,
  });
  function withMapping(extra: Record<string, unknown>, fn: () => void, c = c1, id = 'tpo1'): void {
    const env = cniEnv('ADD', { CNI_CONTAINERID: id, CNI_NETNS: c.path, CNI_IFNAME: 'eth0' });
    const add = run('portmap', { netns: w.host, env, stdin: conf(extra) });
    expect(add.code, add.stdout + add.stderr).toBe(0);
    // nothing logged: in particular no fallback from netlink to nft
    expect(add.stderr).toBe('');
    try {
      fn();
    } finally {
      const del = run('portmap', { netns: w.host, env: { ...env, CNI_COMMAND: 'DEL' }, stdin: conf(extra) });
      expect(del.code, del.stdout + del.stderr).toBe(0);
      expect(del.stderr).toBe('');
    }
  }

  it('snat (default true): 127.0.0.1 and hairpin connections work, masqueraded to the bridge address', () => {
    withMapping({}, () => {
      expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
      expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      // a neighbour on the same bridge; IPv6 alike (no localhost there)
      expect(w.request(c2.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      expect(w.request(c1.name, 'tcp', HOST_V6, 8080)).toBe(`c1 ${BR_V6} 80`);
      expect(w.request(c2.name, 'tcp', HOST_V6, 8080)).toBe(`c1 ${BR_V6} 80`);
      // neither the host's own address nor an outside client is masqueraded
      expect(w.request(w.host, 'tcp', HOST_V4, 8080)).toBe(`c1 ${HOST_V4} 80`);
      expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
      expect(w.request(w.out, 'tcp', HOST_V6, 8080)).toBe(`c1 ${OUT_V6} 80`);
    });
  });

  it('snat false: nothing is masqueraded, so 127.0.0.1 and hairpin cannot work', () => {
    withMapping({ snat: false }, () => {
      expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toMatch(/^ERR/);
      expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toMatch(/^ERR/);
      expect(w.request(w.host, 'tcp', HOST_V4, 8080)).toBe(`c1 ${HOST_V4} 80`);
      expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
    });
  });

  it('masqAll: clients from outside are masqueraded too', () => {
    withMapping({ masqAll: true }, () => {
      expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      expect(w.request(w.out, 'tcp', HOST_V6, 8080)).toBe(`c1 ${BR_V6} 80`);
      expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
      expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      if (backend === 'nftables') {
        const sets = portmapSets(w.host);
        expect(sets.get('all4')?.keys).toEqual([c1.v4]);
        expect(sets.get('all6')?.keys).toEqual([c1.v6]);
        expect(sets.get('lo4')?.keys).toEqual([]);
      }
    });
  });

  it.runIf(backend === 'nftables')('nftables: masquerade keys are hash-set elements; a new prefix length gets its set and rule on first use', () => {
    withMapping({}, () => {
      let sets = portmapSets(w.host);
      expect(sets.get('lo4')).toMatchObject({ keys: [c1.v4], comments: ['tponet/tpo1/eth0'], interval: false });
      expect(sets.get('sub4_24')).toMatchObject({ keys: [`10.88.0.0 . ${c1.v4}`], comments: ['tponet/tpo1/eth0'], interval: false });
      expect(sets.get('sub6_64')).toMatchObject({ keys: [`fd88:: . ${c1.v6}`], interval: false });
      // the interval sets of layout 1 stay (read only), empty
      expect(sets.get('masq4')).toMatchObject({ keys: [], interval: true });
      expect([...sets].filter(([, v]) => v.interval).map(([k]) => k).sort()).toEqual(['masq4', 'masq6']);

      // c2 says its subnet is a /25: the first ADD with that length creates sub4_25 and its rule
      const prev25 = w.prevResult(c2, [4]) as { ips: { address: string }[] };
      prev25.ips[0]!.address = `${c2.v4}/25`;
      const ports = { portMappings: [{ hostPort: 8082, containerPort: 80, protocol: 'tcp' }] };
      withMapping({ prevResult: prev25, runtimeConfig: ports }, () => {
        sets = portmapSets(w.host);
        expect(sets.get('sub4_25')?.keys).toEqual([`10.88.0.0 . ${c2.v4}`]);
        expect(sets.get('lo4')?.keys.sort()).toEqual([c1.v4, c2.v4].sort());
        const rules = inNetns(w.host, ['nft', 'list', 'chain', 'inet', 'tscni_portmap', 'postrouting']);
        expect(rules).toContain('ip saddr & 255.255.255.128 . ip daddr @sub4_25 masquerade');
        expect(rules).toContain('ip saddr & 255.255.255.0 . ip daddr @sub4_24 masquerade');
        expect(w.request(c2.name, 'tcp', HOST_V4, 8082)).toBe(`c2 ${BR_V4} 80`);
        expect(w.request(w.host, 'tcp', '127.0.0.1', 8082)).toBe(`c2 ${BR_V4} 80`);
        // the rebuild kept the /24 rule: c1's hairpin still works
        expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      }, c2, 'tpo2');
      sets = portmapSets(w.host);
      expect(sets.get('sub4_25')?.keys).toEqual([]);
      expect(sets.get('lo4')?.keys).toEqual([c1.v4]);
    });
    const sets = portmapSets(w.host);
    expect(['lo4', 'sub4_24', 'sub4_25', 'sub6_64', 'all4', 'all6'].map((s) => sets.get(s)?.keys)).toEqual([[], [], [], [], [], []]);
  });
});

describe('portmap markMasqBit / externalSetMarkChain (iptables: the reference layout marks, then masquerades marked packets)', () => {
  let w: World;
  let c1: Container;
  beforeEach(() => {
    w = new World('tpm');
    c1 = w.addContainer();
    w.serve(c1.name, 'c1', [80]);
  });
  afterEach(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tpm') || n.startsWith('tfw'))).toEqual([]);
  });
  const add = (extra: Record<string, unknown>) =>
    run('portmap', {
      netns: w.host,
      env: cniEnv('ADD', { CNI_CONTAINERID: 'tpm1', CNI_NETNS: c1.path, CNI_IFNAME: 'eth0' }),
      stdin: {
        cniVersion: '1.1.0',
        name: 'tpmnet',
        type: 'portmap',
        backend: 'iptables',
        capabilities: { portMappings: true },
        runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
        prevResult: w.prevResult(c1, [4]),
        ...extra,
      },
    });

  it('markMasqBit chooses the mark bit, and the marked 127.0.0.1 connection is masqueraded', () => {
    const r = add({ markMasqBit: 5 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const nat = inNetns(w.host, ['iptables-save', '-t', 'nat']);
    expect(nat).toMatch(/-A CNI-HOSTPORT-SETMARK .*--set-xmark 0x20\/0x20/);
    expect(nat).toMatch(/-A CNI-HOSTPORT-MASQ -m mark --mark 0x20\/0x20 -j MASQUERADE/);
    expect(nat).not.toMatch(/0x2000\/0x2000/);
    expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
  });

  it("externalSetMarkChain: the operator's chain marks (as kube-proxy's KUBE-MARK-MASQ), no chain of ours does", () => {
    // The operator's side: a mark chain and the masquerade of marked packets.
    inNetns(w.host, ['iptables-restore', '--noflush'], {
      input: '*nat\n:TPM-MARK-MASQ - [0:0]\n:TPM-POSTROUTING - [0:0]\n-A TPM-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n-A TPM-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE\n-A POSTROUTING -j TPM-POSTROUTING\nCOMMIT\n',
    });
    const r = add({ externalSetMarkChain: 'TPM-MARK-MASQ' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const nat = inNetns(w.host, ['iptables-save', '-t', 'nat']);
    expect(nat).toMatch(/-A CNI-DN-\S+ .*-j TPM-MARK-MASQ/);
    expect(nat).not.toContain('CNI-HOSTPORT-SETMARK');
    expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
  });
});
