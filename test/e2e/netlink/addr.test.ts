import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IFA_F_NODAD, IFA_F_PERMANENT } from '../../../shared/netlink/constants';
import { deleteAllNetns, leakedNetns } from '../../helpers/netns';
import { clearLinks, expectNlError, makeNs, type Ns } from './fixture';

let host: Ns;
let idx: number;

beforeAll(() => {
  host = makeNs();
});
afterAll(() => {
  host?.close();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
beforeEach(() => {
  clearLinks(host);
  host.nl.linkAdd({ name: 'a0', kind: 'veth', up: true, veth: { peerName: 'a1' } });
  idx = host.nl.linkByName('a0')!.index;
});

const ipAddrs = (): any[] => host.ip(['addr', 'show', 'dev', 'a0'])[0].addr_info;

describe('addresses', () => {
  it('adds IPv4 with broadcast and IPv6 without DAD, and lists them like ip does', () => {
    host.nl.addrAdd(idx, '10.1.2.3/24', { broadcast: true });
    host.nl.addrAdd(idx, 'fd00:1::5/64', { noDad: true });
    const ours = host.nl.addrList({ index: idx });
    const v4 = ours.find((a) => a.family === 4)!;
    expect(v4).toMatchObject({ index: idx, address: '10.1.2.3', prefixLen: 24, cidr: '10.1.2.3/24', scope: 0, label: 'a0' });
    expect(v4.flags & IFA_F_PERMANENT).toBeTruthy();
    const v6 = ours.find((a) => a.family === 6 && a.address === 'fd00:1::5')!;
    expect(v6.flags & IFA_F_NODAD).toBeTruthy();
    const ip = ipAddrs();
    expect(ip.find((a) => a.family === 'inet')).toMatchObject({ local: '10.1.2.3', prefixlen: 24, broadcast: '10.1.2.255' });
    const ip6 = ip.find((a) => a.local === 'fd00:1::5');
    expect(ip6).toMatchObject({ prefixlen: 64, nodad: true });
    expect(ip6.tentative).toBeUndefined();
    // Same set of addresses, as the kernel reports them to both tools.
    expect(ours.map((a) => a.cidr).sort()).toEqual(ip.map((a) => `${a.local}/${a.prefixlen}`).sort());
  });

  it('filters by family and by link', () => {
    host.nl.addrAdd(idx, '10.1.2.3/24');
    host.nl.addrAdd(idx, 'fd00:1::5/64', { noDad: true });
    expect(host.nl.addrList({ index: idx, family: 4 }).map((a) => a.cidr)).toEqual(['10.1.2.3/24']);
    expect(host.nl.addrList({ family: 6, index: idx }).every((a) => a.family === 6)).toBe(true);
    expect(host.nl.addrList({ index: 1 }).map((a) => a.cidr)).toEqual(expect.arrayContaining(['127.0.0.1/8']));
    expect(host.nl.addrList({ family: 4 }).map((a) => a.cidr).sort()).toEqual(['10.1.2.3/24', '127.0.0.1/8']);
  });

  it('reports EEXIST for a duplicate, replaces on request, deletes', () => {
    host.nl.addrAdd(idx, '10.1.2.3/24');
    expectNlError(() => host.nl.addrAdd(idx, '10.1.2.3/24'), 'EEXIST');
    host.nl.addrAdd(idx, '10.1.2.3/24', { replace: true });
    expect(ipAddrs().filter((a) => a.family === 'inet')).toHaveLength(1);
    host.nl.addrDel(idx, '10.1.2.3/24');
    expect(ipAddrs().filter((a) => a.family === 'inet')).toHaveLength(0);
    expectNlError(() => host.nl.addrDel(idx, '10.1.2.3/24'), 'EADDRNOTAVAIL');
    host.nl.addrAdd(idx, 'fd00:1::5/64', { noDad: true });
    host.nl.addrDel(idx, 'fd00:1::5/64');
    expect(ipAddrs().some((a) => a.local === 'fd00:1::5')).toBe(false);
  });

  it('rejects bad CIDRs and missing links, changing nothing', () => {
    expectNlError(() => host.nl.addrAdd(idx, '10.1.2.3'), 'EINVAL');
    expectNlError(() => host.nl.addrAdd(idx, '10.1.2.300/24'), 'EINVAL');
    expectNlError(() => host.nl.addrAdd(99999, '10.1.2.3/24'), 'ENODEV');
    expect(ipAddrs().filter((a) => a.family === 'inet')).toHaveLength(0);
  });
});
