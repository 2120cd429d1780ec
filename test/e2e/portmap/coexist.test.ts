// Our portmap next to the reference one (/usr/lib/cni/portmap, iptables) on one host: each
// keeps working and our ADD/DEL leave the reference's chains and rules as they were.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { HOST_V4, OUT_V4, World, type Container } from '../firewall/world';
import { skipWithout } from '../../helpers/prereq';

const REF = '/usr/lib/cni/portmap';

function refPortmap(host: string, cmd: string, c: Container, stdin: object): { code: number; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', host, REF], {
    input: JSON.stringify(stdin),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CNI_COMMAND: cmd, CNI_CONTAINERID: c.name, CNI_NETNS: c.path, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
  });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

const refChains = (host: string): string =>
  inNetns(host, ['iptables-save', '-t', 'nat'])
    .split('\n')
    .filter((l) => /CNI-/.test(l) && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .join('\n');

describe.skipIf(skipWithout('portmap coexistence', fs.existsSync(REF) ? undefined : 'the reference plugins are not in /usr/lib/cni (Debian package containernetworking-plugins; npm test installs it)')).each(['nftables', 'iptables'])('coexistence with the reference portmap (ours: %s)', (backend) => {
  let w: World;
  let ref: Container;
  let ours: Container;
  const refConf = (c: Container) => ({ cniVersion: '1.0.0', name: 'tfwref', type: 'portmap', runtimeConfig: { portMappings: [{ hostPort: 6060, containerPort: 80, protocol: 'tcp' }] }, prevResult: { ...w.prevResult(c, [4]), cniVersion: '1.0.0' } });
  const ourConf = (c: Container, port: number) => ({ cniVersion: '1.1.0', name: 'tfwours', type: 'portmap', backend, runtimeConfig: { portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] }, prevResult: w.prevResult(c) });
  const ourRun = (cmd: string, c: Container, stdin: object) => run('portmap', { netns: w.host, env: cniEnv(cmd, { CNI_CONTAINERID: c.name, CNI_NETNS: c.path, CNI_IFNAME: 'eth0' }), stdin });

  beforeAll(() => {
    w = new World();
    ref = w.addContainer();
    ours = w.addContainer();
    w.serve(ref.name, 'ref', [80]);
    w.serve(ours.name, 'ours', [80]);
  });
  afterAll(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tfw'))).toEqual([]);
  });

  it('both publish their ports; our DEL leaves the reference chains intact', () => {
    const a = refPortmap(w.host, 'ADD', ref, refConf(ref));
    expect(a.code, a.out).toBe(0);
    const refState = refChains(w.host);
    expect(refState).toMatch(/CNI-HOSTPORT-DNAT/);
    expect(w.request(w.out, 'tcp', HOST_V4, 6060)).toBe(`ref ${OUT_V4} 80`);

    const r = ourRun('ADD', ours, ourConf(ours, 6070));
    expect(r.code, r.stdout).toBe(0);
    expect(w.request(w.out, 'tcp', HOST_V4, 6070)).toBe(`ours ${OUT_V4} 80`);
    expect(w.request(w.out, 'tcp', HOST_V4, 6060)).toBe(`ref ${OUT_V4} 80`);
    if (backend === 'iptables') {
      // sharing the reference's chains, we see its mapping as taken
      const clash = ourRun('ADD', ours, ourConf(ours, 6060));
      expect(clash.json?.code).toBe(112);
    }
    expect(ourRun('DEL', ours, ourConf(ours, 6070)).code).toBe(0);
    expect(refChains(w.host)).toBe(refState);
    expect(w.request(w.out, 'tcp', HOST_V4, 6060)).toBe(`ref ${OUT_V4} 80`);
    expect(w.request(w.out, 'tcp', HOST_V4, 6070)).toMatch(/^ERR/);
    const d = refPortmap(w.host, 'DEL', ref, refConf(ref));
    expect(d.code, d.out).toBe(0);
  });
});
