// The masquerade API bridge uses, on a real bridge: container → outside is source-NATed to the
// host address, container → container on the subnet is not; DEL needs no addresses; GC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masqAdd, masqCheck, masqDel, masqGc, type Backend } from '../../../shared/firewall';
import { withNetns } from '../../../shared/netns/netns';
import { leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { HOST_V4, OUT_V4, World, iptDump, nftDump, type Container } from './world';

const NET = 'tfw-masq.net';

describe.each(['nftables', 'iptables'] as Backend[])('masquerade (%s backend)', (backend) => {
  let w: World;
  let c1: Container;
  let c2: Container;
  const inHost = <T>(fn: () => T): T => withNetns(netnsPath(w.host), fn);
  const dump = () => (backend === 'nftables' ? nftDump(w.host) : iptDump(w.host));
  const t1 = () => ({ network: NET, containerId: 'cid-1', ifname: 'eth0', ips: [`${c1.v4}/24`, `${c1.v6}/64`] });

  beforeAll(() => {
    w = new World();
    w.routeOutsideToContainers();
    c1 = w.addContainer();
    c2 = w.addContainer();
    w.serve(w.out, 'out', [90]);
    w.serve(c2.name, 'c2', [90]);
  });
  afterAll(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tfw'))).toEqual([]);
  });

  let before = '';
  it('masqAdd: outbound traffic leaves with the host address; the subnet is not NATed', () => {
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${c1.v4} 90`);
    before = dump();
    inHost(() => masqAdd(backend, t1()));
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    expect(w.request(c1.name, 'tcp', 'fd77::2', 90)).toBe('out fd77::1 90');
    expect(w.request(c1.name, 'tcp', c2.v4, 90)).toBe(`c2 ${c1.v4} 90`);
    // c2 has no entry: not masqueraded
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${c2.v4} 90`);
    inHost(() => masqCheck(backend, t1()));
    expect(() => inHost(() => masqCheck(backend, { ...t1(), containerId: 'cid-2', ips: [`${c2.v4}/24`] }))).toThrow(/masquerade/);
    // repeated ADD is idempotent
    const once = dump();
    inHost(() => masqAdd(backend, t1()));
    expect(dump()).toBe(once);
  });

  it('masqDel without addresses removes exactly this attachment and restores the ruleset', () => {
    inHost(() => masqAdd(backend, { network: NET, containerId: 'cid-2', ifname: 'eth0', ips: [`${c2.v4}/24`] }));
    const withBoth = dump();
    inHost(() => masqDel(backend, { network: NET, containerId: 'cid-2', ifname: 'eth0' }));
    expect(dump()).not.toBe(withBoth);
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${c2.v4} 90`);
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    inHost(() => masqDel(backend, { network: NET, containerId: 'cid-1', ifname: 'eth0' }));
    inHost(() => masqDel(backend, { network: NET, containerId: 'cid-1', ifname: 'eth0', ips: t1().ips }));
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${c1.v4} 90`);
    if (backend === 'iptables') expect(dump()).toBe(before);
    else expect(dump()).not.toMatch(/cid-/);
  });

  it('masqGc keeps valid attachments and removes the others of that network only', () => {
    inHost(() => masqAdd(backend, t1()));
    inHost(() => masqAdd(backend, { network: NET, containerId: 'cid-2', ifname: 'eth0', ips: [`${c2.v4}/24`] }));
    inHost(() => masqGc(backend, 'other-net', []));
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    inHost(() => masqGc(backend, NET, [{ containerId: 'cid-1', ifname: 'eth0' }]));
    expect(w.request(c2.name, 'tcp', OUT_V4, 90)).toBe(`out ${c2.v4} 90`);
    expect(w.request(c1.name, 'tcp', OUT_V4, 90)).toBe(`out ${HOST_V4} 90`);
    inHost(() => masqDel(backend, { network: NET, containerId: 'cid-1', ifname: 'eth0' }));
  });

  it('CHECK tells when the masquerade state is gone from under the attachment', () => {
    inHost(() => masqAdd(backend, t1()));
    inHost(() => masqCheck(backend, t1()));
    if (backend === 'nftables') {
      sh(['ip', 'netns', 'exec', w.host, 'nft', 'delete', 'table', 'inet', 'tscni_masq']);
      expect(() => inHost(() => masqCheck(backend, t1()))).toThrow(/masquerade: chain \S+ for network "tfw-masq.net", subnet 10\.88\.0\.0\/24 is missing/);
    } else {
      sh(['ip', 'netns', 'exec', w.host, 'iptables', '-t', 'nat', '-F', 'POSTROUTING']);
      expect(() => inHost(() => masqCheck(backend, t1()))).toThrow(/POSTROUTING has no rule/);
    }
    inHost(() => masqDel(backend, { network: NET, containerId: 'cid-1', ifname: 'eth0' }));
  });
});
