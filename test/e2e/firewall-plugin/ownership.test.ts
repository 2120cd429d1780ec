// A firewall entry is removed only by its owner (network, containerID, ifname), on both backends:
// a stale second DEL of X, after Y got X's address, leaves Y's accepts and policy alone, whatever
// prevResult it carries or lacks and even with X's netns gone; one address on two networks keeps
// its accept until the last of them leaves; GC follows the valid-attachments list only.
import { describe, expect, it } from 'vitest';
import { containerIdFromNetns } from '../../../shared/runtime/container-id';
import { deleteNetns } from '../../helpers/netns';
import { worldPerTest } from './world';

const PORT = 7272;
const world = worldPerTest();

const ONE_CONF = { cniVersion: '1.1.0', name: 'one', type: 'firewall', ingressPolicy: 'same-bridge' };

describe.each(['nftables', 'iptables'] as const)('firewall entries belong to their owner (%s)', (backend) => {
  it("a stale DEL of X (with X's prevResult, without it, netns gone) leaves Y, which got X's address, intact", async () => {
    const w = world(backend);
    // "one": a one-address range on trtb1, same-bridge; a neighbour network on the same bridge; another bridge
    w.writeNetwork({ name: 'one', bridge: 'trtb1', n: 31, range: [10, 10], firewall: { ingressPolicy: 'same-bridge' } });
    w.writeNetwork({ name: 'nb', bridge: 'trtb1', n: 31, range: [20, 29], firewall: { ingressPolicy: 'same-bridge' } });
    w.writeNetwork({ name: 'far', bridge: 'trtb2', n: 32, firewall: { ingressPolicy: 'same-bridge' } });
    const x = w.attach('one');
    const xid = containerIdFromNetns(x.path);
    w.detach('one', x);
    const y = w.attach('one');
    expect(y.v4).toBe(x.v4);
    await w.serve(y, PORT);
    const n = w.attach('nb');
    const far = w.attach('far');
    const yIntact = (): void => {
      expect(w.reaches(n.netns, y.v4, PORT)).toBe(true);
      expect(w.reaches(far.netns, y.v4, PORT)).toBe(false);
      expect(w.cnitool(['check', 'one', y.path]).code).toBe(0);
    };
    yIntact();
    const env = { CNI_CONTAINERID: xid, CNI_IFNAME: 'eth0', CNI_NETNS: x.path };
    const backendConf = backend === 'iptables' ? {} : { backend: 'nftables' };
    expect(w.firewall('DEL', { ...ONE_CONF, ...backendConf, prevResult: x.result }, env).code).toBe(0);
    yIntact();
    expect(w.firewall('DEL', { ...ONE_CONF, ...backendConf }, env).code).toBe(0);
    yIntact();
    deleteNetns(x.netns);
    expect(w.firewall('DEL', { ...ONE_CONF, ...backendConf, prevResult: x.result }, { ...env, CNI_NETNS: '' }).code).toBe(0);
    yIntact();
    w.detach('one', y);
    expect(w.reaches(n.netns, y.v4, PORT)).toBe(false);
  }, 180_000);

  it('one address on two networks: the first DEL keeps the accept of the other; GC removes only invalid attachments of its network', () => {
    const w = world(backend);
    const base = { cniVersion: '1.1.0', type: 'firewall', ...(backend === 'iptables' ? { backend: 'iptables' } : { backend: 'nftables' }) };
    const prev = (br: string): object => ({
      cniVersion: '1.1.0',
      interfaces: [{ name: br }, { name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/x' }],
      ips: [{ address: '10.79.99.5/24', gateway: '10.79.99.1', interface: 2 }],
    });
    const env = { CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0', CNI_NETNS: '/var/run/netns/x' };
    const a = { ...base, name: 'neta', ingressPolicy: 'isolated', prevResult: prev('trtb5') };
    const b = { ...base, name: 'netb', prevResult: prev('trtb6') };
    expect(w.firewall('ADD', a, env).code).toBe(0);
    expect(w.firewall('ADD', b, env).code).toBe(0);
    expect(w.firewall('DEL', a, env).code).toBe(0);
    expect(w.firewall('CHECK', b, env).code).toBe(0);
    if (backend === 'nftables') {
      expect(w.nftSet('ctr4')).toEqual([{ key: '10.79.99.5', comment: 'netb/c1/eth0' }]);
      expect(w.nftSet('isolated4')).toEqual([]);
      expect(w.nftSet('policy_br')).toEqual([]);
    } else {
      expect(w.iptablesSave().split('\n').filter((l) => l.includes('10.79.99.5/32'))).toHaveLength(3);
      expect(w.iptablesSave()).not.toContain('neta');
    }
    // GC of netb with c1 valid keeps it; GC of neta (nothing left) changes nothing; GC with c1 invalid removes it
    const gc = (name: string, valid: object[]): number => w.firewall('GC', { ...base, name, 'cni.dev/valid-attachments': valid }).code;
    expect(gc('netb', [{ containerID: 'c1', ifname: 'eth0' }])).toBe(0);
    expect(gc('neta', [])).toBe(0);
    expect(w.firewall('CHECK', b, env).code).toBe(0);
    expect(gc('netb', [{ containerID: 'c2', ifname: 'eth0' }])).toBe(0);
    expect(w.firewall('CHECK', b, env).code).not.toBe(0);
    if (backend === 'nftables') expect(w.nftTable().filter((o) => o.set?.elem?.length)).toEqual([]);
    else expect(w.iptablesSave()).not.toContain('ifname');
  }, 180_000);
});
