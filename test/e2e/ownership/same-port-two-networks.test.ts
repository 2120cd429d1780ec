// Issue 15 part 3: podman publishes a container's ports on every network it joins. The same
// container may publish a host port again on another attachment (the first publication receives
// the traffic, as with the reference); when that attachment goes, the port moves to the
// container's remaining one. Another container asking for the port is still refused (112).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { run, cniEnv } from '../../helpers/bins';
import { inNetns, netnsPath } from '../../helpers/netns';
import { startTcpServer, tcpRequest, type Server } from '../../helpers/traffic';
import { HOST_UPLINK, Lab, type Attach, type Net } from './conflist';

const PORTS = [{ hostPort: 8462, containerPort: 80, protocol: 'tcp' }];

describe.each(['nftables', 'iptables'] as const)('one container, one host port, two networks (%s)', (backend) => {
  let lab: Lab;
  const tag = backend.slice(0, 3);
  const a: Net = { name: `townA-${tag}`, bridge: `townA${tag}`, subnet: '10.62.0.0/24', only: '10.62.0.10' };
  const b: Net = { name: `townB-${tag}`, bridge: `townB${tag}`, subnet: '10.63.0.0/24', only: '10.63.0.10' };
  const servers: Server[] = [];
  /** Which of the container's addresses a connection to the host port reached. */
  const target = (): string => tcpRequest(lab.outside, HOST_UPLINK, 8462);

  beforeAll(() => {
    lab = new Lab(backend);
  });
  afterAll(() => {
    for (const s of servers) s.stop();
    lab?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('town'))).toEqual([]);
  });

  for (const firstGoes of [true, false]) {
    it(`second publication accepted, first wins; ${firstGoes ? 'the first' : 'the second'} attachment goes, then the other`, async () => {
      const ns = lab.ctr();
      const onA: Attach = { id: `z-${firstGoes}`, ns, ifname: 'eth0' };
      const onB: Attach = { id: `z-${firstGoes}`, ns, ifname: 'eth1' };
      lab.add(a, onA, PORTS);
      servers.push(await startTcpServer(ns, '0.0.0.0', 80, 60_000, 'local'));
      expect(target()).toBe(a.only);
      lab.add(b, onB, PORTS);
      expect(target()).toBe(a.only);
      for (const r of [...lab.check(a, onA, PORTS), ...lab.check(b, onB, PORTS)]) expect(r.code, r.stdout).toBe(0);

      // another container on b asking for the same host port: refused, nothing changes
      const w: Attach = { id: `w-${firstGoes}`, ns: lab.ctr(), ifname: 'eth0' };
      const wNet: Net = { ...b, only: '10.63.0.10' };
      const bridgeRes = run('bridge', { netns: lab.host, env: cniEnv('ADD', { CNI_CONTAINERID: w.id, CNI_NETNS: netnsPath(w.ns), CNI_IFNAME: 'eth0' }), stdin: { cniVersion: '1.1.0', name: b.name, ...lab.plugins({ ...wNet, subnet: '10.64.0.0/24', only: '10.64.0.10' }, undefined)[0], bridge: `townW${tag}` } });
      expect(bridgeRes.code, bridgeRes.stdout).toBe(0);
      const pm = run('portmap', {
        netns: lab.host,
        env: cniEnv('ADD', { CNI_CONTAINERID: w.id, CNI_NETNS: netnsPath(w.ns), CNI_IFNAME: 'eth0' }),
        stdin: { cniVersion: '1.1.0', name: b.name, ...lab.plugins(b, PORTS)[1], prevResult: bridgeRes.json },
      });
      expect(pm.code).toBe(1);
      expect(pm.json.code).toBe(112);
      expect(target()).toBe(a.only);

      const [gone, stays, staysNet, goneNet] = firstGoes ? [onA, onB, b, a] : [onB, onA, a, b];
      lab.del(goneNet, gone, PORTS);
      // The container's default route left with eth0 (eth1's equal route was refused as a
      // duplicate); replies need one, as a runtime's next network would provide.
      if (firstGoes) inNetns(ns, ['ip', 'route', 'replace', 'default', 'via', '10.63.0.1']);
      expect(target()).toBe(staysNet.only);
      for (const r of lab.check(staysNet, stays, PORTS)) expect(r.code, r.stdout).toBe(0);
      // a repeated DEL of the attachment that went changes nothing
      lab.del(goneNet, gone, undefined, false);
      expect(target()).toBe(staysNet.only);
      lab.del(staysNet, stays, PORTS);
      expect(() => target()).toThrow();
      // W's bridge attachment (its portmap ADD failed, so the runtime DELs it)
      const wDel = run('bridge', { netns: lab.host, env: cniEnv('DEL', { CNI_CONTAINERID: w.id, CNI_NETNS: netnsPath(w.ns), CNI_IFNAME: 'eth0' }), stdin: { cniVersion: '1.1.0', name: b.name, ...lab.plugins({ ...wNet, subnet: '10.64.0.0/24', only: '10.64.0.10' }, undefined)[0], bridge: `townW${tag}` } });
      expect(wDel.code, wDel.stdout).toBe(0);
      expect(lab.firewallState()).toEqual([]);
      lab.dropNetns(w.ns);
      lab.dropNetns(ns);
    });
  }
});
