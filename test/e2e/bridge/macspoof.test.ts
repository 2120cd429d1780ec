// macspoofchk through the firewall layer: a runtime's short PATH still finds /usr/sbin/nft, and
// its elements belong to their owner (network, containerID, ifname): a stale DEL or a GC with the
// live attachment in its list leaves the live container's guard in place.
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { ping } from '../../helpers/traffic';
import { makeLab, type Lab } from './fixture';

let lab: Lab;
beforeEach(() => {
  lab = makeLab('10.51.0.0/24');
});
afterEach(() => lab.cleanup());
afterAll(() => expect(leakedNetns()).toEqual([]));

const SHORT_PATH = '/usr/bin:/bin';
const table = (): string => inNetns(lab.host, ['nft', 'list', 'table', 'bridge', 'tscni_macspoof']);

/** The bridge plugin with exactly the PATH a runtime such as containerd may pass. */
function bridgeShortPath(cmd: string, ns: string, conf: Record<string, unknown>, extra: Record<string, string> = {}): ReturnType<typeof run> {
  const env = { ...cniEnv(cmd, { CNI_CONTAINERID: `id-${ns}`, CNI_NETNS: netnsPath(ns), CNI_IFNAME: 'eth0', ...extra }), PATH: SHORT_PATH };
  return run('bridge', { netns: lab.host, env, stdin: conf });
}

/** a's source MAC is rewritten; whether b still answers tells whether a's port is guarded. */
function spoofBlocked(a: string, b: string, ipB: string): boolean {
  sh(['ip', '-n', a, 'link', 'set', 'eth0', 'address', `02:de:ad:be:ef:${Math.floor(Math.random() * 90 + 10)}`]);
  sh(['ip', '-n', a, 'neigh', 'flush', 'all']);
  sh(['ip', '-n', b, 'neigh', 'flush', 'all']);
  return !ping(a, ipB);
}

it('with PATH=/usr/bin:/bin, ADD guards the port, DEL removes exactly its own elements', () => {
  const conf = lab.conf({ macspoofchk: true });
  const [a, b] = [lab.ctr(), lab.ctr()];
  const ra = bridgeShortPath('ADD', a, conf);
  expect(ra.code, ra.stdout + ra.stderr).toBe(0);
  const rb = bridgeShortPath('ADD', b, conf);
  expect(rb.code, rb.stdout + rb.stderr).toBe(0);
  const ipB = rb.json.ips[0].address.split('/')[0];
  expect(ping(a, ipB)).toBe(true);
  expect(table()).toContain(`${conf.name}/id-${a}/eth0`);
  expect(spoofBlocked(a, b, ipB)).toBe(true);
  expect(bridgeShortPath('DEL', a, conf).code).toBe(0);
  expect(table()).not.toContain(`id-${a}`);
  expect(table()).toContain(`${conf.name}/id-${b}/eth0`);
  expect(bridgeShortPath('DEL', b, conf).code).toBe(0);
  expect(table()).not.toContain('/id-');
});

it("a stale DEL of X after Y took X's address, and a GC listing Y, leave Y's guard", () => {
  const conf = lab.conf({ macspoofchk: true }, { subnet: undefined, ranges: [[{ subnet: '10.51.0.0/24', rangeStart: '10.51.0.10', rangeEnd: '10.51.0.10' }]] });
  const [x, y, peer] = [lab.ctr(), lab.ctr(), lab.ctr()];
  const rx = lab.bridge('ADD', x, conf);
  expect(rx.code, rx.stdout).toBe(0);
  expect(lab.bridge('DEL', x, conf).code).toBe(0);
  const ry = lab.bridge('ADD', y, conf);
  expect(ry.code, ry.stdout).toBe(0);
  expect(ry.json.ips[0].address).toBe(rx.json.ips[0].address);
  // the peer: same bridge and subnet, its own network (and range), no macspoofchk
  const peerConf = { ...lab.conf({}, { subnet: undefined, ranges: [[{ subnet: '10.51.0.0/24', rangeStart: '10.51.0.20', rangeEnd: '10.51.0.29' }]] }), name: 'tbrpeer' };
  const rp = lab.bridge('ADD', peer, peerConf);
  expect(rp.code, rp.stdout).toBe(0);
  const ipPeer = rp.json.ips[0].address.split('/')[0];

  expect(lab.bridge('DEL', x, { ...conf, prevResult: rx.json }).code).toBe(0);
  expect(table()).toContain(`${conf.name}/id-${y}/eth0`);
  const gc = run('bridge', { netns: lab.host, env: cniEnv('GC'), stdin: { ...conf, 'cni.dev/valid-attachments': [{ containerID: `id-${y}`, ifname: 'eth0' }] } });
  expect(gc.code, gc.stdout).toBe(0);
  expect(table()).toContain(`${conf.name}/id-${y}/eth0`);
  expect(ping(y, ipPeer)).toBe(true);
  expect(spoofBlocked(y, peer, ipPeer)).toBe(true);
  // GC without y: its elements go
  const gc2 = run('bridge', { netns: lab.host, env: cniEnv('GC'), stdin: { ...conf, 'cni.dev/valid-attachments': [] } });
  expect(gc2.code, gc2.stdout).toBe(0);
  expect(table()).not.toContain(`id-${y}`);
});
