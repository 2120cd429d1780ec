// Real podman 4.3 (CNI backend) drives our plugins unchanged: networks, published ports, DNS by
// name, static IP/MAC, several networks, connect/disconnect, stop/start, network modes, pods,
// internal and isolated networks, macvlan, a FORWARD-DROP host, and nothing left behind.
// Everything runs in a throwaway host netns with private mounts (see podman-env.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { skipWithout } from '../../helpers/prereq';
import { ensurePodman, HOST_V4, MV_OUT_V4, OUT_V4, PodmanEnv } from './podman-env';

const skip = skipWithout('podman suite', ensurePodman());

describe.skipIf(skip)('podman with tscni plugins', () => {
  let env: PodmanEnv;
  beforeAll(async () => {
    env = new PodmanEnv();
    await env.start();
  }, 60_000);
  afterAll(() => {
    env?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('trt-'))).toEqual([]);
  });

  const conflist = (name: string): any => JSON.parse(env.exec(['cat', `${env.netconf}/${name}.conflist`]).stdout);
  const ctrElements = (): string[] => JSON.parse(env.exec(['nft', '-j', 'list', 'set', 'inet', 'tscni_firewall', 'ctr4']).stdout || '{"nftables":[]}').nftables.flatMap((o: any) => (o.set?.elem ?? []).map((e: any) => `${e.elem.val} ${e.elem.comment}`));
  const idOf = (c: string): string => env.ok('inspect', '--format', '{{.Id}}', c);

  it('network create / ls / inspect write a conflist of our plugins', () => {
    env.ok('network', 'create', '--subnet', '10.89.1.0/24', 'trtnet1');
    env.ok('network', 'create', '--subnet', '10.89.2.0/24', 'trtnet2');
    expect(env.ok('network', 'ls', '--format', '{{.Name}}').split('\n')).toEqual(expect.arrayContaining(['podman', 'trtnet1', 'trtnet2']));
    const info = JSON.parse(env.ok('network', 'inspect', 'trtnet1'))[0];
    expect(info.subnets[0].subnet).toBe('10.89.1.0/24');
    expect(conflist('trtnet1').plugins.map((p: any) => p.type)).toEqual(['bridge', 'portmap', 'firewall', 'tuning', 'dnsname']);
  });

  it('run -p: host port from outside and from the host, container to container, hairpin, names via dnsname', () => {
    env.runServer('a', '--network', 'trtnet1', '-p', '18080:8000');
    env.runServer('b', '--network', 'trtnet1');
    const a = env.ip('a');
    expect(a).toMatch(/^10\.89\.1\./);
    expect(ctrElements()).toContain(`${a} trtnet1/${idOf('a')}/eth0`);
    expect(env.fetchIn(env.out, `http://${HOST_V4}:18080/`)).toBe(true);
    expect(env.fetchIn(env.host, `http://${HOST_V4}:18080/`)).toBe(true);
    expect(env.fetchFrom('b', `http://${a}:8000/`)).toBe(true);
    expect(env.fetchFrom('a', `http://${HOST_V4}:18080/`)).toBe(true);
    expect(env.fetchFrom('b', 'http://a:8000/')).toBe(true);
    expect(env.fetchFrom('b', 'http://a.dns.podman:8000/')).toBe(true);
  });

  it('--ip and --mac-address (sent as CNI_ARGS) are honoured', () => {
    env.runServer('c', '--network', 'trtnet1', '--ip', '10.89.1.50', '--mac-address', '02:aa:bb:cc:dd:ee');
    const link = env.ok('exec', 'c', 'ip', 'addr', 'show', 'eth0');
    expect(link).toContain('inet 10.89.1.50/24');
    expect(link).toContain('link/ether 02:aa:bb:cc:dd:ee');
    expect(env.fetchFrom('b', 'http://10.89.1.50:8000/')).toBe(true);
  });

  it('two networks at run, then disconnect / connect', () => {
    env.runServer('d', '--network', 'trtnet1,trtnet2');
    // Sorted: podman 4.3 names the interfaces in map order, so either network may get eth0.
    const ifaces = (): string[] => env.ok('exec', 'd', 'ip', '-o', 'link').split('\n').map((l) => l.split(': ')[1]!.split('@')[0]!).sort();
    expect(ifaces()).toEqual(['eth0', 'eth1', 'lo']);
    const d2 = env.ip('d', 'trtnet2');
    expect(ctrElements().filter((e) => e.startsWith(`${d2} trtnet2/`))).toHaveLength(1);
    env.ok('network', 'disconnect', 'trtnet2', 'd');
    expect(ctrElements().filter((e) => e.startsWith(`${d2} `))).toEqual([]);
    const left = ifaces();
    expect(left).toHaveLength(2);
    expect(left[1]).toBe('lo');
    expect(left[0]).toMatch(/^eth[01]$/);
    env.ok('network', 'connect', 'trtnet2', 'd');
    const again = env.ip('d', 'trtnet2');
    expect(ctrElements().filter((e) => e.startsWith(`${again} trtnet2/`))).toHaveLength(1);
    env.runServer('e', '--network', 'trtnet2');
    expect(env.fetchFrom('e', `http://${again}:8000/`)).toBe(true);
  });

  it('stop removes the attachment, start brings it back with the port', () => {
    const before = env.ip('a');
    env.ok('stop', '-t', '0', 'a');
    expect(ctrElements().filter((e) => e.startsWith(`${before} `))).toEqual([]);
    expect(env.fetchIn(env.out, `http://${HOST_V4}:18080/`)).toBe(false);
    env.ok('start', 'a');
    expect(env.fetchIn(env.out, `http://${HOST_V4}:18080/`)).toBe(true);
  });

  it('--network none / host / container:', () => {
    expect(env.ok('run', '--rm', '--network', 'none', '--rootfs', env.rootfs, 'ls', '/sys/class/net')).toBe('lo');
    expect(env.ok('run', '--rm', '--network', 'host', '--rootfs', env.rootfs, 'ls', '/sys/class/net').split(/\s+/)).toEqual(expect.arrayContaining(['up0', 'cni-podman1']));
    const shared = env.ok('run', '--rm', '--network', 'container:b', '--rootfs', env.rootfs, 'ip', '-4', '-o', 'addr', 'show', 'eth0');
    expect(shared).toContain(`inet ${env.ip('b')}/24`);
  });

  it('pods share one netns and publish ports', () => {
    env.ok('pod', 'create', '--name', 'p1', '--network', 'trtnet1', '-p', '18081:8000');
    env.runServer('p1web', '--pod', 'p1');
    expect(env.ok('run', '--rm', '--pod', 'p1', '--rootfs', env.rootfs, 'timeout', '3', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8000/')).toContain('hello from busybox');
    expect(env.fetchIn(env.out, `http://${HOST_V4}:18081/`)).toBe(true);
  });

  it('--internal: containers reach each other but have no way out', () => {
    env.ok('network', 'create', '--internal', '--subnet', '10.89.3.0/24', 'trtint');
    expect(conflist('trtint').plugins[0]).toMatchObject({ type: 'bridge', isGateway: false });
    env.runServer('i1', '--network', 'trtint');
    env.runServer('i2', '--network', 'trtint');
    expect(env.fetchFrom('i2', `http://${env.ip('i1')}:8000/`)).toBe(true);
    expect(env.ok('exec', 'i1', 'ip', 'route')).not.toContain('default');
    env.startOutsideServer();
    expect(env.fetchFrom('i1', `http://${OUT_V4}:8000/`)).toBe(false);
    expect(env.fetchFrom('b', `http://${OUT_V4}:8000/`)).toBe(true);
  });

  it('isolate=true networks (firewall ingressPolicy same-bridge) cannot reach each other', () => {
    env.ok('network', 'create', '--opt', 'isolate=true', '--subnet', '10.89.4.0/24', 'trtiso1');
    env.ok('network', 'create', '--opt', 'isolate=true', '--subnet', '10.89.5.0/24', 'trtiso2');
    expect(conflist('trtiso1').plugins.find((p: any) => p.type === 'firewall').ingressPolicy).toBe('same-bridge');
    env.runServer('s1', '--network', 'trtiso1');
    env.runServer('s2', '--network', 'trtiso1');
    env.runServer('t1', '--network', 'trtiso2');
    expect(env.fetchFrom('s2', `http://${env.ip('s1')}:8000/`)).toBe(true);
    expect(env.fetchFrom('t1', `http://${env.ip('s1')}:8000/`)).toBe(false);
    expect(env.fetchFrom('s1', `http://${env.ip('t1')}:8000/`)).toBe(false);
    expect(env.fetchFrom('s1', `http://${OUT_V4}:8000/`)).toBe(true);
  });

  it('macvlan network on a veth of the host: the container is a peer on that LAN', () => {
    env.ok('network', 'create', '-d', 'macvlan', '-o', 'parent=mvp0', '--subnet', '192.168.92.0/24', 'trtmv');
    env.runServer('m', '--network', 'trtmv', '--ip', '192.168.92.10');
    expect(env.ok('exec', 'm', 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain('192.168.92.10/24');
    expect(env.fetchIn(env.out, 'http://192.168.92.10:8000/')).toBe(true);
    expect(env.fetchFrom('m', `http://${MV_OUT_V4}:8000/`)).toBe(true);
  });

  it('a host whose iptables FORWARD policy is DROP: new containers get iptables accepts and work', () => {
    env.exec(['iptables', '-P', 'FORWARD', 'DROP']);
    try {
      env.runServer('f', '--network', 'trtnet2');
      const f = env.ip('f');
      expect(env.exec(['iptables-save', '-t', 'filter']).stdout).toContain(`-A CNI-FORWARD -s ${f}/32`);
      expect(env.fetchFrom('f', `http://${OUT_V4}:8000/`)).toBe(true);
      env.ok('rm', '-f', '-t', '0', 'f');
      expect(env.exec(['iptables-save', '-t', 'filter']).stdout).not.toContain(`${f}/32`);
    } finally {
      env.exec(['iptables', '-P', 'FORWARD', 'ACCEPT']);
    }
  });

  // podman sends a container's port mappings to every network it joins (issue 15 part 3): the
  // same container may publish the port on each; the first attachment receives the traffic and
  // the port moves to the remaining one when it goes. Both portmap backends (the conflist podman
  // wrote is switched to iptables for the second run).
  it.each([
    ['nftables', 6, 18090],
    ['iptables', 8, 18092],
  ] as const)('one container published on two networks (%s): -p with two networks, disconnect, connect; another container is refused; nothing left after rm', (backend, sub, port) => {
    const [n1, n2] = [`trtp${backend[0]}1`, `trtp${backend[0]}2`];
    env.ok('network', 'create', '--subnet', `10.89.${sub}.0/24`, n1);
    env.ok('network', 'create', '--subnet', `10.89.${sub + 1}.0/24`, n2);
    for (const n of [n1, n2]) {
      const file = path.join(env.netconf, `${n}.conflist`);
      const list = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const p of list.plugins) if (p.type === 'portmap') p.backend = backend;
      fs.writeFileSync(file, JSON.stringify(list, null, 2));
    }
    const url = (p: number): string => `http://${HOST_V4}:${p}/`;
    // After a disconnect the container may have lost its default route (it came with that
    // network; podman adds no other), so replies to the outside have no way back: the host's
    // 127.0.0.1 is masqueraded to the bridge address and needs none.
    const reach = (p: number): boolean => env.fetchIn(env.host, `http://127.0.0.1:${p}/`);
    const c = `pp${backend[0]}`;
    const c2 = `pq${backend[0]}`;
    env.runServer(c, '--network', `${n1},${n2}`, '-p', `${port}:8000`);
    expect(env.fetchIn(env.out, url(port))).toBe(true);
    expect(reach(port)).toBe(true);
    env.ok('network', 'disconnect', n1, c);
    expect(reach(port)).toBe(true);
    env.ok('network', 'connect', n1, c);
    expect(reach(port)).toBe(true);
    env.ok('network', 'disconnect', n2, c);
    expect(reach(port)).toBe(true);

    // another container asking for the same host port is refused, the owner keeps it
    const other = env.podman('run', '-d', '--name', `${c}x`, '--network', n2, '-p', `${port}:8000`, '--rootfs', env.rootfs, 'httpd', '-f', '-p', '8000', '-h', '/www');
    expect(other.code).not.toBe(0);
    env.podman('rm', '-f', '-t', '0', `${c}x`);
    expect(reach(port)).toBe(true);

    // network connect of a container published on one network, then disconnect of the first
    env.runServer(c2, '--network', n1, '-p', `${port + 1}:8000`);
    expect(env.fetchIn(env.out, url(port + 1))).toBe(true);
    env.ok('network', 'connect', n2, c2);
    expect(env.fetchIn(env.out, url(port + 1))).toBe(true);
    env.ok('network', 'disconnect', n1, c2);
    expect(reach(port + 1)).toBe(true);

    const ids = [idOf(c), idOf(c2)];
    env.ok('rm', '-f', '-t', '0', c, c2);
    expect(reach(port)).toBe(false);
    expect(reach(port + 1)).toBe(false);
    for (const n of [n1, n2]) env.ok('network', 'rm', n);
    const rules = `${env.exec(['nft', 'list', 'ruleset']).stdout}\n${env.exec(['iptables-save', '-t', 'nat']).stdout}`;
    for (const id of ids) expect(rules).not.toContain(id);
    for (const n of [n1, n2]) expect(rules).not.toContain(`masquerade for network ${n},`);
  }, 240_000); // about thirty podman calls

  it('after rm of every container, pod and network nothing of ours is left', () => {
    env.ok('pod', 'rm', '-af', '-t', '0');
    env.ok('rm', '-af', '-t', '0');
    for (const n of ['trtnet1', 'trtnet2', 'trtint', 'trtiso1', 'trtiso2', 'trtmv']) env.ok('network', 'rm', n);
    expect(env.leftovers()).toEqual({ veths: [], netnsFiles: [], cniCache: [], leases: [], nftElements: [], iptablesContainerRules: [], dnsmasq: [] });
    expect(env.processesInHost().filter((c) => c !== 'sleep' && c !== 'busybox')).toEqual([]);
  });
});
