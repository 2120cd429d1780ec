// portmap's masquerade options by their effect on real connections: snat and masqAll on both
// backends (who the container sees as the client); markMasqBit and externalSetMarkChain, which
// only the iptables layout uses, by the rules they produce and the connection they make work.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { BR_V4, HOST_V4, OUT_V4, World, type Container } from '../firewall/world';

describe.each(['nftables', 'iptables'])('portmap snat / masqAll (%s)', (backend) => {
  let w: World;
  let c1: Container;
  beforeAll(() => {
    w = new World('tpo');
    c1 = w.addContainer();
    w.serve(c1.name, 'c1', [80]);
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
    prevResult: w.prevResult(c1, [4]),
    ...extra,
  });
  function withMapping(extra: Record<string, unknown>, fn: () => void): void {
    const env = cniEnv('ADD', { CNI_CONTAINERID: 'tpo1', CNI_NETNS: c1.path, CNI_IFNAME: 'eth0' });
    const add = run('portmap', { netns: w.host, env, stdin: conf(extra) });
    expect(add.code, add.stdout + add.stderr).toBe(0);
    try {
      fn();
    } finally {
      expect(run('portmap', { netns: w.host, env: { ...env, CNI_COMMAND: 'DEL' }, stdin: conf(extra) }).code).toBe(0);
    }
  }

  it('snat (default true): 127.0.0.1 and hairpin connections work, masqueraded to the bridge address', () => {
    withMapping({}, () => {
      expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
      expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
      // neither the host's own address nor an outside client is masqueraded
      expect(w.request(w.host, 'tcp', HOST_V4, 8080)).toBe(`c1 ${HOST_V4} 80`);
      expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
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
    });
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
