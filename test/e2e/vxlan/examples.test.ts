// conf-examples/vxlan/*: each host's conflist, run through our cnitool on two lab hosts the way an
// operator would, with only the machine-specific parts swapped (interface, addresses, state dirs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, repoRoot } from '../../helpers/bins';
import { leakedNetns, netnsPath } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';
import { links, makeLab, type Host, type Lab } from './fixture';

const dir = path.join(repoRoot, 'conf-examples', 'vxlan');
const EXAMPLE_IPS = ['192.0.2.11', '192.0.2.12'];

let lab: Lab;
beforeEach(() => {
  lab = makeLab(2);
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

function install(host: Host, file: string): { list: any; cnitool(args: string[]): { code: number; stdout: string; stderr: string } } {
  const list = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const real = (ip: string): string => lab.hosts[EXAMPLE_IPS.indexOf(ip)]!.ip4;
  const p = list.plugins[0];
  p.underlay = { interface: 'und0', address: real(p.underlay.address) };
  for (const peer of p.peers) peer.underlayIP = real(peer.underlayIP);
  p.stateDir = host.stateDir;
  p.ipam.dataDir = host.dataDir;
  const netDir = path.join(host.stateDir, '..', 'net.d');
  fs.mkdirSync(netDir, { recursive: true });
  fs.writeFileSync(path.join(netDir, file), JSON.stringify(list));
  const env = { PATH: process.env.PATH ?? '', NETCONFPATH: netDir, CNI_PATH: path.dirname(bin('cnitool')), CNI_CACHE_DIR: path.join(netDir, '..', 'cache') };
  return {
    list,
    cnitool: (args) => {
      const r = spawnSync('ip', ['netns', 'exec', host.ns, bin('cnitool'), ...args], { env, encoding: 'utf8' });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

describe('conf-examples/vxlan', () => {
  for (const mode of ['l2', 'l3']) {
    it(`${mode}-host1 + ${mode}-host2 through cnitool: add, traffic both ways, check, status, del`, async () => {
      const [h1, h2] = lab.hosts as [Host, Host];
      const t1 = install(h1, `${mode}-host1.conflist`);
      const t2 = install(h2, `${mode}-host2.conflist`);
      const [c1, c2] = [lab.ctr(), lab.ctr()];
      const r1 = t1.cnitool(['add', t1.list.name, netnsPath(c1)]);
      expect(r1.code, r1.stderr).toBe(0);
      const r2 = t2.cnitool(['add', t2.list.name, netnsPath(c2)]);
      expect(r2.code, r2.stderr).toBe(0);
      const ip1 = JSON.parse(r1.stdout).ips[0].address.split('/')[0];
      const ip2 = JSON.parse(r2.stdout).ips[0].address.split('/')[0];
      expect(ping(c1, ip2)).toBe(true);
      expect(ping(c2, ip1)).toBe(true);
      const srv = await startTcpServer(c2, '0.0.0.0', 80);
      try {
        expect(tcpRequest(c1, ip2, 80)).toBe(ip1);
      } finally {
        srv.stop();
      }
      for (const [t, c] of [[t1, c1], [t2, c2]] as const) {
        expect(t.cnitool(['check', t.list.name, netnsPath(c)]).code).toBe(0);
        expect(t.cnitool(['status', t.list.name]).code).toBe(0);
        expect(t.cnitool(['del', t.list.name, netnsPath(c)]).code).toBe(0);
      }
      for (const h of [h1, h2]) {
        expect(links(h.ns).filter((l) => l.ifname.startsWith('veth'))).toEqual([]);
        expect(fs.readdirSync(path.join(h.dataDir, t1.list.name)).filter((f) => /^[0-9.]+$/.test(f))).toEqual([]);
      }
    });
  }
});
