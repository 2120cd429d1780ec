import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RTPROT_BOOT, RTPROT_STATIC, RT_SCOPE_LINK } from '../../../shared/netlink/constants';
import { deleteAllNetns, leakedNetns } from '../../helpers/netns';
import { clearLinks, expectNlError, makeNs, type Ns } from './fixture';

let host: Ns;
let a: number;
let b: number;

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
  host.nl.linkAdd({ name: 'b0', kind: 'veth', up: true, veth: { peerName: 'b1' } });
  a = host.nl.linkByName('a0')!.index;
  b = host.nl.linkByName('b0')!.index;
  host.nl.linkSetUp(host.nl.linkByName('a1')!.index);
  host.nl.linkSetUp(host.nl.linkByName('b1')!.index);
  host.nl.addrAdd(a, '10.1.0.1/24');
  host.nl.addrAdd(b, '10.2.0.1/24');
  host.nl.addrAdd(a, 'fd01::1/64', { noDad: true });
  host.nl.addrAdd(b, 'fd02::1/64', { noDad: true });
});

const ipRoutes = (args: string[] = []): any[] => host.ip(['-d', 'route', 'show', ...args]);
const ip6Routes = (args: string[] = []): any[] => host.ip(['-d', '-6', 'route', 'show', ...args]);

describe('routes', () => {
  it('adds a default route via a gateway and lists it like ip does', () => {
    host.nl.routeAdd({ dst: '0.0.0.0/0', gw: '10.1.0.254', dev: a });
    const def = host.nl.routeList({ family: 4 }).find((r) => r.dst === '0.0.0.0/0');
    expect(def).toMatchObject({ family: 4, gw: '10.1.0.254', dev: a, table: 254, protocol: RTPROT_BOOT, scope: 0 });
    expect(ipRoutes().find((r) => r.dst === 'default')).toMatchObject({ gateway: '10.1.0.254', dev: 'a0', protocol: 'boot' });
    // The kernel's connected route shows up too, with its preferred source.
    const conn = host.nl.routeList({ family: 4 }).find((r) => r.dst === '10.1.0.0/24');
    expect(conn).toMatchObject({ dev: a, src: '10.1.0.1', scope: RT_SCOPE_LINK });
    expect(host.nl.routeList({ family: 4 }).map((r) => r.dst).sort()).toEqual(ipRoutes().map((r) => (r.dst === 'default' ? '0.0.0.0/0' : r.dst)).sort());
  });

  it('adds an IPv6 default route', () => {
    host.nl.routeAdd({ dst: '::/0', gw: 'fd01::fe', dev: a, priority: 1024 });
    expect(host.nl.routeList({ family: 6 }).find((r) => r.dst === '::/0')).toMatchObject({ family: 6, gw: 'fd01::fe', dev: a, priority: 1024 });
    expect(ip6Routes().find((r) => r.dst === 'default')).toMatchObject({ gateway: 'fd01::fe', dev: 'a0', metric: 1024 });
  });

  it('uses other tables, and lists one table, main by default, or all', () => {
    host.nl.routeAdd({ dst: '0.0.0.0/0', gw: '10.2.0.254', table: 100 });
    host.nl.routeAdd({ dst: '10.9.0.0/16', dev: b, table: 1000 });
    expect(host.nl.routeList({ table: 100 })).toEqual([expect.objectContaining({ dst: '0.0.0.0/0', gw: '10.2.0.254', table: 100, dev: b })]);
    expect(host.nl.routeList({ table: 1000 })).toEqual([expect.objectContaining({ dst: '10.9.0.0/16', table: 1000, scope: RT_SCOPE_LINK })]);
    expect(host.nl.routeList().some((r) => r.table !== 254)).toBe(false);
    const all = host.nl.routeList({ table: 0 });
    expect(all.some((r) => r.table === 100) && all.some((r) => r.table === 255) && all.some((r) => r.table === 1000)).toBe(true);
    expect(ipRoutes(['table', '100'])).toHaveLength(1);
    expect(ipRoutes(['table', '1000'])[0]).toMatchObject({ dst: '10.9.0.0/16', dev: 'b0', scope: 'link' });
    // A table never used has no routes rather than an error.
    expect(host.nl.routeList({ table: 4242 })).toEqual([]);
    expect(host.nl.routeList({ table: 4242, family: 6 })).toEqual([]);
  });

  it('keeps routes that differ only by priority apart, and deletes the one named', () => {
    host.nl.routeAdd({ dst: '10.8.0.0/16', gw: '10.1.0.254', priority: 10 });
    host.nl.routeAdd({ dst: '10.8.0.0/16', gw: '10.2.0.254', priority: 20 });
    expect(ipRoutes().filter((r) => r.dst === '10.8.0.0/16').map((r) => r.metric).sort()).toEqual([10, 20]);
    host.nl.routeDel({ dst: '10.8.0.0/16', priority: 10 });
    expect(ipRoutes().filter((r) => r.dst === '10.8.0.0/16')).toEqual([expect.objectContaining({ gateway: '10.2.0.254', metric: 20 })]);
  });

  it('replaces a route in place, with metrics and a preferred source', () => {
    host.nl.routeAdd({ dst: '10.7.0.0/16', gw: '10.1.0.254' });
    expectNlError(() => host.nl.routeAdd({ dst: '10.7.0.0/16', gw: '10.1.0.254' }), 'EEXIST');
    host.nl.routeReplace({ dst: '10.7.0.0/16', gw: '10.2.0.254', src: '10.2.0.1', mtu: 1300, advmss: 1260, protocol: RTPROT_STATIC });
    const r = host.nl.routeList().filter((x) => x.dst === '10.7.0.0/16');
    expect(r).toEqual([expect.objectContaining({ gw: '10.2.0.254', dev: b, src: '10.2.0.1', mtu: 1300, advmss: 1260, protocol: RTPROT_STATIC })]);
    const ir = ipRoutes().find((x) => x.dst === '10.7.0.0/16');
    expect(ir).toMatchObject({ gateway: '10.2.0.254', prefsrc: '10.2.0.1', protocol: 'static' });
    expect(Object.assign({}, ...ir.metrics)).toMatchObject({ mtu: 1300, advmss: 1260 });
  });

  it('adds an onlink gateway outside every subnet', () => {
    host.nl.routeAdd({ dst: '10.6.0.0/16', gw: '192.168.77.1', dev: a, onlink: true });
    expect(host.nl.routeList().find((r) => r.dst === '10.6.0.0/16')).toMatchObject({ gw: '192.168.77.1', onlink: true });
    expect(ipRoutes().find((r) => r.dst === '10.6.0.0/16').flags).toContain('onlink');
  });

  it('adds ECMP routes (multipath) in v4 and v6', () => {
    host.nl.routeAdd({ dst: '10.5.0.0/16', multipath: [{ gw: '10.1.0.254', dev: a }, { gw: '10.2.0.254', dev: b }] });
    expect(host.nl.routeList().find((r) => r.dst === '10.5.0.0/16')!.multipath).toEqual([{ gw: '10.1.0.254', dev: a }, { gw: '10.2.0.254', dev: b }]);
    const ir = ipRoutes().find((x) => x.dst === '10.5.0.0/16');
    expect(ir.nexthops.map((n: any) => n.gateway)).toEqual(['10.1.0.254', '10.2.0.254']);
    host.nl.routeAdd({ dst: 'fd05::/48', multipath: [{ gw: 'fd01::fe', dev: a }, { gw: 'fd02::fe', dev: b }] });
    const r6 = ip6Routes().find((x) => x.dst === 'fd05::/48');
    expect(r6.nexthops.map((n: any) => n.gateway).sort()).toEqual(['fd01::fe', 'fd02::fe']);
    expect(host.nl.routeList({ family: 6 }).find((r) => r.dst === 'fd05::/48')!.multipath).toHaveLength(2);
  });

  it('asks the kernel which route reaches an address', () => {
    host.nl.routeAdd({ dst: '10.4.0.0/16', gw: '10.2.0.254' });
    expect(host.nl.routeGet('10.4.1.1')).toMatchObject({ family: 4, dev: b, gw: '10.2.0.254', src: '10.2.0.1' });
    expect(host.nl.routeGet('10.1.0.9')).toMatchObject({ dev: a, src: '10.1.0.1' });
    expect(host.nl.routeGet('fd02::9')).toMatchObject({ family: 6, dev: b });
    const ig = host.ip(['route', 'get', '10.4.1.1'])[0];
    expect(ig).toMatchObject({ gateway: '10.2.0.254', dev: 'b0', prefsrc: '10.2.0.1' });
    // No default route here: unreachable is undefined, not an error.
    expect(host.nl.routeGet('192.0.2.1')).toBeUndefined();
  });

  it('deletes routes and reports ESRCH for a missing one', () => {
    host.nl.routeAdd({ dst: '10.3.0.0/16', gw: '10.1.0.254' });
    host.nl.routeAdd({ dst: 'fd03::/64', gw: 'fd01::fe' });
    host.nl.routeDel({ dst: '10.3.0.0/16' });
    host.nl.routeDel({ dst: 'fd03::/64', gw: 'fd01::fe' });
    expect(ipRoutes().some((r) => r.dst === '10.3.0.0/16')).toBe(false);
    expect(ip6Routes().some((r) => r.dst === 'fd03::/64')).toBe(false);
    expectNlError(() => host.nl.routeDel({ dst: '10.3.0.0/16' }), 'ESRCH');
    expectNlError(() => host.nl.routeDel({ dst: 'fd03::/64' }), 'ESRCH');
  });

  it('rejects bad specs with the field named, changing nothing', () => {
    const before = ipRoutes();
    expect(() => host.nl.routeAdd({ dst: '10.0.0.0' })).toThrow(/route dst.*missing \/prefix/);
    expect(() => host.nl.routeAdd({ dst: '10.3.0.0/16', gw: 'fd01::1' })).toThrow(/gw fd01::1 is not of the same family/);
    expect(() => host.nl.routeAdd({ dst: '10.3.0.0/16', gw: 'nope' })).toThrow(/gw/);
    // The kernel's own reason travels in the error.
    const e = expectNlError(() => host.nl.routeAdd({ dst: '10.3.0.1/16', dev: a }), 'EINVAL');
    expect(e.message).toMatch(/prefix/i);
    expectNlError(() => host.nl.routeAdd({ dst: '10.3.0.0/16', gw: '10.99.0.1' }), 'ENETUNREACH');
    expect(ipRoutes()).toEqual(before);
  });
});
