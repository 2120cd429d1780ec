// portmap end to end: real namespaces, real TCP/UDP through published ports, both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { BR_V4, HOST_V4, HOST_V6, OUT_V4, World, iptDump, nftDump, type Container } from '../firewall/world';

const NET = 'tfwnet';

function conf(backend: string, mappings: unknown[] | undefined, prev: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c: Record<string, unknown> = { cniVersion: '1.1.0', name: NET, type: 'portmap', backend, capabilities: { portMappings: true }, ...extra };
  if (mappings) c.runtimeConfig = { portMappings: mappings };
  if (prev) c.prevResult = prev;
  return c;
}

describe.each(['nftables', 'iptables'])('portmap (%s backend)', (backend) => {
  let w: World;
  let c1: Container;
  let c2: Container;
  let c3: Container;
  const pm = (cmd: string, c: Container, stdin: object, id = c.name) =>
    run('portmap', { netns: w.host, env: cniEnv(cmd, { CNI_CONTAINERID: id, CNI_NETNS: c.path, CNI_IFNAME: 'eth0' }), stdin });
  const dump = () => (backend === 'nftables' ? nftDump(w.host) : iptDump(w.host));
  const c1Maps = [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { HostPort: 5353, ContainerPort: 53, Protocol: 'UDP' }, // containerd's capitalised keys
    { hostPort: 9090, containerPort: 80, protocol: 'tcp', hostIP: HOST_V4 },
  ];

  beforeAll(() => {
    w = new World();
    c1 = w.addContainer();
    c2 = w.addContainer();
    c3 = w.addContainer();
    w.serve(c1.name, 'c1', [80, 53]);
    w.serve(c2.name, 'c2', [80, 70]);
  });
  afterAll(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tfw'))).toEqual([]);
  });

  it('ADD of a second container passes prevResult through and publishes its port', () => {
    const prev = w.prevResult(c2);
    const r = pm('ADD', c2, conf(backend, [{ hostPort: 7070, containerPort: 70, protocol: 'tcp' }], prev));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toEqual(prev);
    expect(w.request(w.out, 'tcp', HOST_V4, 7070)).toBe(`c2 ${OUT_V4} 70`);
  });

  let before = '';
  it('ADD publishes c1: reachable from outside, the host, 127.0.0.1, another container and itself', () => {
    before = dump();
    const r = pm('ADD', c1, conf(backend, c1Maps, w.prevResult(c1)));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // (a) outside: no masquerade, the container sees the real client
    expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
    // (b) the host to its own address and to localhost (masqueraded to the bridge address)
    expect(w.request(w.host, 'tcp', HOST_V4, 8080)).toMatch(/^c1 \S+ 80$/);
    expect(w.request(w.host, 'tcp', '127.0.0.1', 8080)).toBe(`c1 ${BR_V4} 80`);
    expect(inNetns(w.host, ['cat', '/proc/sys/net/ipv4/conf/br0/route_localnet']).trim()).toBe('1');
    // (c) another container, (d) the same container (hairpin): masqueraded so replies come back
    expect(w.request(c2.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
    expect(w.request(c1.name, 'tcp', HOST_V4, 8080)).toBe(`c1 ${BR_V4} 80`);
  });

  it('UDP, hostIP and IPv6 mappings work', () => {
    expect(w.request(w.out, 'udp', HOST_V4, 5353)).toBe(`c1 ${OUT_V4} 53`);
    expect(w.request(w.out, 'udp', HOST_V6, 5353)).toBe(`c1 fd77::2 53`);
    expect(w.request(w.out, 'tcp', HOST_V6, 8080)).toBe(`c1 fd77::2 80`);
    expect(w.request(c2.name, 'tcp', HOST_V6, 8080)).toMatch(/^c1 fd88::1 80$/);
    // hostIP: only that address publishes 9090, and only in its family
    expect(w.request(w.out, 'tcp', HOST_V4, 9090)).toBe(`c1 ${OUT_V4} 80`);
    expect(w.request(c2.name, 'tcp', BR_V4, 9090)).toMatch(/^ERR/);
    expect(w.request(w.out, 'tcp', HOST_V6, 9090)).toMatch(/^ERR/);
  });

  it('CHECK passes for c1 and fails for a container without entries', () => {
    expect(pm('CHECK', c1, conf(backend, c1Maps, w.prevResult(c1))).code).toBe(0);
    const r = pm('CHECK', c3, conf(backend, [{ hostPort: 6061, containerPort: 80 }], w.prevResult(c3)));
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/6061|CNI-DN/);
  });

  it('a second container asking for a taken host port is refused with code 112 and nothing changes', () => {
    const snap = dump();
    const r = pm('ADD', c3, conf(backend, [{ hostPort: 6060, containerPort: 80 }, { hostPort: 8080, containerPort: 80, protocol: 'tcp' }], w.prevResult(c3)));
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(112);
    expect(r.json.msg).toMatch(/tcp\/8080/);
    expect(dump()).toBe(snap);
    expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
    // the runtime then DELs the failed container: c1's mapping must survive
    expect(pm('DEL', c3, conf(backend, [{ hostPort: 8080, containerPort: 80 }], w.prevResult(c3))).code).toBe(0);
    expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toBe(`c1 ${OUT_V4} 80`);
    expect(dump()).toBe(snap);
  });

  it('DEL of c1 restores the ruleset exactly and leaves c2 alone', () => {
    const r = pm('DEL', c1, conf(backend, c1Maps, w.prevResult(c1)));
    expect(r.code, r.stdout).toBe(0);
    expect(dump()).toBe(before);
    expect(w.request(w.out, 'tcp', HOST_V4, 8080)).toMatch(/^ERR/);
    expect(w.request(w.out, 'tcp', HOST_V4, 7070)).toBe(`c2 ${OUT_V4} 70`);
    // idempotent
    expect(pm('DEL', c1, conf(backend, c1Maps, w.prevResult(c1))).code).toBe(0);
    expect(dump()).toBe(before);
  });

  it('DEL works with neither capability args nor prevResult', () => {
    const r = pm('DEL', c2, conf(backend, undefined, undefined));
    expect(r.code, r.stdout).toBe(0);
    expect(w.request(w.out, 'tcp', HOST_V4, 7070)).toMatch(/^ERR/);
    expect(dump()).not.toContain(backend === 'nftables' ? c2.name : '7070');
  });

  it('GC removes entries of attachments that are not valid, keeps the valid ones', () => {
    expect(pm('ADD', c1, conf(backend, [{ hostPort: 8081, containerPort: 80 }], w.prevResult(c1))).code).toBe(0);
    expect(pm('ADD', c2, conf(backend, [{ hostPort: 7071, containerPort: 70 }], w.prevResult(c2))).code).toBe(0);
    const gc = run('portmap', { netns: w.host, env: cniEnv('GC'), stdin: { ...conf(backend, undefined, undefined), 'cni.dev/valid-attachments': [{ containerID: c1.name, ifname: 'eth0' }] } });
    expect(gc.code, gc.stdout).toBe(0);
    expect(w.request(w.out, 'tcp', HOST_V4, 8081)).toBe(`c1 ${OUT_V4} 80`);
    expect(w.request(w.out, 'tcp', HOST_V4, 7071)).toMatch(/^ERR/);
    expect(pm('DEL', c1, conf(backend, undefined, undefined)).code).toBe(0);
    expect(w.request(w.out, 'tcp', HOST_V4, 8081)).toMatch(/^ERR/);
  });

  it('STATUS reports the backend usable', () => {
    const r = run('portmap', { netns: w.host, env: cniEnv('STATUS'), stdin: conf(backend, undefined, undefined) });
    expect(r.code, r.stdout).toBe(0);
  });
});
