// An operator switches the masquerade backend between a container's ADD and its DEL: the DEL
// sweeps the other backend's leftovers of that attachment. The sweep runs only while the other
// backend is marked as used for the concern, and the marker goes once a sweep sees that backend
// hold nothing more, so a node that used iptables once does not pay an iptables-save per DEL
// forever. Real bridge and traffic; markers in a throwaway TSCNI_RUN_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masqAdd, masqDel } from '../../../shared/firewall';
import { withNetns } from '../../../shared/netns/netns';
import { leakedNetns, netnsPath } from '../../helpers/netns';
import { HOST_V4, OUT_V4, World, iptDump, type Container } from './world';

const NET = 'tfw-switch.net';
let w: World;
let c1: Container;
let c2: Container;
let runDir: string;
const saved = process.env.TSCNI_RUN_DIR;
const inHost = <T>(fn: () => T): T => withNetns(netnsPath(w.host), fn);
const markers = (): string[] => fs.readdirSync(runDir).filter((n) => n.startsWith('used-')).sort();
const owner = (c: string) => ({ network: NET, containerId: c, ifname: 'eth0' });

beforeAll(() => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-switch-'));
  process.env.TSCNI_RUN_DIR = runDir;
  w = new World();
  w.routeOutsideToContainers();
  c1 = w.addContainer();
  c2 = w.addContainer();
  w.serve(w.out, 'out', [90]);
});
afterAll(() => {
  if (saved === undefined) delete process.env.TSCNI_RUN_DIR;
  else process.env.TSCNI_RUN_DIR = saved;
  w?.destroy();
  fs.rmSync(runDir, { recursive: true, force: true });
  expect(leakedNetns().filter((n) => n.startsWith('tfw'))).toEqual([]);
});

describe('masquerade backend switched between ADD and DEL', () => {
  it('the DEL sweeps the iptables leftovers; the marker stays while another iptables attachment is left, and goes with the last', () => {
    inHost(() => masqAdd('iptables', { ...owner('cid-x'), ips: [`${c1.v4}/24`] }));
    inHost(() => masqAdd('iptables', { ...owner('cid-z'), ips: [`${c2.v4}/24`] }));
    expect(markers()).toEqual(['used-iptables-masq']);
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    // The config now says nftables: X's DEL takes its iptables chain, Z's stays and still works.
    inHost(() => masqDel('nftables', { ...owner('cid-x'), ips: [`${c1.v4}/24`] }));
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${c1.v4} 90`);
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    expect(markers()).toEqual(['used-iptables-masq']);
    // Z's DEL leaves iptables without any attachment chain: sweeping stops.
    inHost(() => masqDel('nftables', { ...owner('cid-z'), ips: [`${c2.v4}/24`] }));
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${c2.v4} 90`);
    expect(iptDump(w.host)).not.toMatch(/-j CNI-/);
    expect(markers()).toEqual([]);
  });

  it('a new iptables ADD marks again, so a later switched DEL still sweeps it', () => {
    inHost(() => masqAdd('iptables', { ...owner('cid-y'), ips: [`${c1.v4}/24`] }));
    expect(markers()).toEqual(['used-iptables-masq']);
    inHost(() => masqDel('nftables', owner('cid-y')));
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${c1.v4} 90`);
    expect(markers()).toEqual([]);
  });

  it("an earlier build's all-concerns marker is honoured, and split when one concern is found empty", () => {
    fs.writeFileSync(path.join(runDir, 'used-iptables'), '');
    inHost(() => masqAdd('iptables', { ...owner('cid-w'), ips: [`${c1.v4}/24`] }));
    fs.rmSync(path.join(runDir, 'used-iptables-masq'));
    inHost(() => masqDel('nftables', owner('cid-w'))); // swept thanks to the old marker alone
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${c1.v4} 90`);
    expect(markers()).toEqual(['used-iptables-forward', 'used-iptables-portmap']);
  });
});
