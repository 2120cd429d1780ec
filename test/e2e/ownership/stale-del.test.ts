// Issue 15 part 1: a stale DEL never removes another container's state. X is added with a
// published port in a one-address range and deleted; Y gets the same address and host port; X is
// deleted again (with its old prevResult and capability args, without prevResult, after its netns
// is gone). Y must keep answering on the host port from outside, keep its way out through
// masquerade, keep its lease and pass CHECK. Nothing per network may remain after the last DEL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { startTcpServer, tcpRequest, type Server } from '../../helpers/traffic';
import { HOST_UPLINK, Lab, OUTSIDE_ADDR, type Attach, type Net } from './conflist';

const ONLY = '10.61.0.10';
const PORTS = [{ hostPort: 8461, containerPort: 80, protocol: 'tcp' }];

describe.each(['nftables', 'iptables'] as const)('a stale DEL leaves the new owner alone (%s)', (backend) => {
  let lab: Lab;
  let outSrv: Server;
  const net: Net = { name: `town-${backend.slice(0, 3)}`, bridge: `town${backend.slice(0, 3)}`, subnet: '10.61.0.0/24', only: ONLY };
  const servers: Server[] = [];

  beforeAll(async () => {
    lab = new Lab(backend);
    outSrv = await startTcpServer(lab.outside, '0.0.0.0', 9461);
  });
  afterAll(() => {
    for (const s of servers) s.stop();
    outSrv?.stop();
    lab?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('town'))).toEqual([]);
  });

  /** Y is served, reachable on the host port from outside, masqueraded on its way out, and its own. */
  function expectYIntact(y: Attach): void {
    expect(tcpRequest(lab.outside, HOST_UPLINK, 8461)).toBe(OUTSIDE_ADDR);
    expect(tcpRequest(y.ns, OUTSIDE_ADDR, 9461)).toBe(HOST_UPLINK);
    expect(lab.leaseOwner(net, ONLY)).toBe(`${y.id}/eth0`);
    for (const r of lab.check(net, y, PORTS)) expect(r.code, r.stdout).toBe(0);
  }

  async function cycle(label: string, staleDel: (x: Attach) => void): Promise<void> {
    const x: Attach = { id: `x-${label}`, ns: lab.ctr(), ifname: 'eth0' };
    lab.add(net, x, PORTS);
    expect(x.result.ips[0].address).toBe(`${ONLY}/24`);
    lab.del(net, x, PORTS);
    const y: Attach = { id: `y-${label}`, ns: lab.ctr(), ifname: 'eth0' };
    lab.add(net, y, PORTS);
    expect(y.result.ips[0].address).toBe(`${ONLY}/24`);
    servers.push(await startTcpServer(y.ns, '0.0.0.0', 80));
    expectYIntact(y);
    staleDel(x);
    expectYIntact(y);
    lab.del(net, y, PORTS);
    lab.dropNetns(x.ns);
    lab.dropNetns(y.ns);
    expect(() => tcpRequest(lab.outside, HOST_UPLINK, 8461)).toThrow();
    expect(lab.firewallState()).toEqual([]);
    expect(lab.leaseOwner(net, ONLY)).toBeUndefined();
  }

  it('second DEL of X with its old prevResult and capability args', async () => {
    await cycle('prev', (x) => lab.del(net, x, PORTS));
  });

  it('second DEL of X without prevResult or capability args', async () => {
    await cycle('noprev', (x) => lab.del(net, x, undefined, false));
  });

  it('second DEL of X after its netns is gone', async () => {
    await cycle('gone', (x) => {
      lab.dropNetns(x.ns);
      lab.del(net, x, PORTS);
    });
  });

  it('GC with only Y valid removes nothing of Y; GC with none valid removes everything', async () => {
    const y: Attach = { id: 'y-gc', ns: lab.ctr(), ifname: 'eth0' };
    lab.add(net, y, PORTS);
    servers.push(await startTcpServer(y.ns, '0.0.0.0', 80));
    lab.gc(net, [{ containerID: 'x-prev', ifname: 'eth0' }, { containerID: y.id, ifname: 'eth0' }]);
    expectYIntact(y);
    lab.gc(net, []);
    expect(() => tcpRequest(lab.outside, HOST_UPLINK, 8461)).toThrow();
    expect(lab.firewallState()).toEqual([]);
    expect(lab.leaseOwner(net, ONLY)).toBeUndefined();
    lab.del(net, y, PORTS);
  });
});
