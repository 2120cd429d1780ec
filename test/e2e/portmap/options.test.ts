// portmap's masquerade options by their effect on real connections (the README's snat and
// masqAll), on both backends: who the container sees as the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { leakedNetns } from '../../helpers/netns';
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
