// dnsname records belong to their attachment (network, containerID, ifname): X is added and
// deleted, Y gets X's address (a one-address range), then X's DEL comes again with X's old
// prevResult and name: Y's name still answers, the server keeps running; a GC listing Y too.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { containerIdFromNetns } from '../../../shared/runtime/container-id';
import { cniEnv, run } from '../../helpers/bins';
import { leakedNetns, netnsPath } from '../../helpers/netns';
import { DnsWorld, ourDnsmasqs } from './world';

const NET = 'tdnone';
const GW = '10.89.7.1';
let w: DnsWorld | undefined;

afterAll(() => {
  w?.destroy([NET]);
  expect(ourDnsmasqs(w!.root)).toEqual([]);
  expect(leakedNetns().filter((n) => n.startsWith('tdn'))).toEqual([]);
});

it("a stale DEL of X (old prevResult, X's name) and a GC listing Y leave Y's name answering", () => {
  w = new DnsWorld();
  const dnsConf = { type: 'dnsname', domainName: 'dns.podman', stateDir: w.state, upstreamServers: [] };
  const range = { subnet: '10.89.7.0/24', rangeStart: '10.89.7.10', rangeEnd: '10.89.7.10', gateway: GW };
  const conflist = { cniVersion: '1.0.0', name: NET, plugins: [{ type: 'bridge', bridge: 'tdnbr1', isGateway: true, ipam: { type: 'host-local', dataDir: w.ipam, ranges: [[range]] } }, dnsConf] };
  fs.writeFileSync(path.join(w.netconf, `${NET}.conflist`), JSON.stringify(conflist));

  const x = w.container();
  const rx = w.cnitool('add', NET, x, { name: 'xname' });
  expect(rx.code, rx.stderr).toBe(0);
  expect(w.cnitool('del', NET, x).code).toBe(0);
  const y = w.container();
  const ry = w.cnitool('add', NET, y, { name: 'yname' });
  expect(ry.code, ry.stderr).toBe(0);
  expect(ry.json.ips[0].address).toBe(rx.json.ips[0].address);
  const yAddr = ry.json.ips[0].address.split('/')[0];
  const pid = w.serverPid(NET);
  expect(pid).toBeDefined();
  expect(w.addrs(y, GW, 'yname')).toEqual([yAddr]);

  const conf = { cniVersion: '1.0.0', name: NET, ...dnsConf };
  const env = { CNI_CONTAINERID: containerIdFromNetns(netnsPath(x)), CNI_IFNAME: 'eth0', CNI_NETNS: netnsPath(x), CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=xname' };
  const stale = run('dnsname', { netns: w.host, env: cniEnv('DEL', env), stdin: { ...conf, prevResult: rx.json } });
  expect(stale.code, stale.stdout).toBe(0);
  expect(run('dnsname', { netns: w.host, env: cniEnv('DEL', env), stdin: conf }).code).toBe(0);
  expect(w.serverPid(NET)).toBe(pid);
  expect(w.addrs(y, GW, 'yname')).toEqual([yAddr]);

  const gc = run('dnsname', { netns: w.host, env: cniEnv('GC'), stdin: { ...conf, cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: containerIdFromNetns(netnsPath(y)), ifname: 'eth0' }] } });
  expect(gc.code, gc.stdout).toBe(0);
  expect(w.addrs(y, GW, 'yname')).toEqual([yAddr]);
  expect(w.cnitool('check', NET, y).code).toBe(0);
  // the network's last attachment leaves: its server and state go with it
  expect(w.cnitool('del', NET, y).code).toBe(0);
  expect(fs.existsSync(w.netDir(NET))).toBe(false);
});
