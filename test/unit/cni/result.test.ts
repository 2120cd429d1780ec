import { describe, expect, it } from 'vitest';
import { convertResult, toCurrent, toVersion, type Result } from '../../../shared/cni/result';

const full: Result = {
  cniVersion: '1.1.0',
  interfaces: [
    { name: 'br0', mac: '3e:b8:a6:93:ca:09' },
    { name: 'eth0', mac: 'a6:80:c3:68:6e:6b', mtu: 1400, sandbox: '/run/netns/x', pciID: '0000:00:01.0' },
  ],
  ips: [
    { interface: 1, address: '10.1.0.2/24', gateway: '10.1.0.1' },
    { interface: 1, address: '10.1.0.3/24' },
    { interface: 1, address: 'fd00::2/64', gateway: 'fd00::1' },
  ],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1' }, { dst: '192.168.0.0/16', gw: '10.1.0.254', priority: 5 }],
  dns: { nameservers: ['10.1.0.1'], search: ['example.org'] },
};

describe('result conversion', () => {
  it('renders 1.x with mtu/pciID and without ip versions', () => {
    const out = toVersion(full, '1.0.0') as any;
    expect(out.cniVersion).toBe('1.0.0');
    expect(out.interfaces[1]).toEqual({ name: 'eth0', mac: 'a6:80:c3:68:6e:6b', mtu: 1400, sandbox: '/run/netns/x', pciID: '0000:00:01.0' });
    expect(out.ips[0]).toEqual({ interface: 1, address: '10.1.0.2/24', gateway: '10.1.0.1' });
    expect(Object.keys(out)).toEqual(['cniVersion', 'interfaces', 'ips', 'routes', 'dns']);
  });

  it('down to 0.4.0 adds version per family and drops interface mtu/pciID', () => {
    const out = toVersion(full, '0.4.0') as any;
    expect(out.ips.map((i: any) => i.version)).toEqual(['4', '4', '6']);
    expect(Object.keys(out.ips[0])).toEqual(['version', 'interface', 'address', 'gateway']);
    expect(out.interfaces[1]).toEqual({ name: 'eth0', mac: 'a6:80:c3:68:6e:6b', sandbox: '/run/netns/x' });
  });

  it('down to 0.2.0 keeps the first v4 and v6 and splits routes by family', () => {
    const out = toVersion(full, '0.2.0') as any;
    expect(out).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.0.2/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.1.0.254', priority: 5 }] },
      ip6: { ip: 'fd00::2/64', gateway: 'fd00::1', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
      dns: { nameservers: ['10.1.0.1'], search: ['example.org'] },
    });
  });

  it('0.1.0 and 0.2.0 differ only in the version string', () => {
    const a = toVersion(full, '0.1.0') as any;
    const b = toVersion(full, '0.2.0') as any;
    expect({ ...a, cniVersion: 'x' }).toEqual({ ...b, cniVersion: 'x' });
  });

  it('up from 0.2.0 builds ips and routes', () => {
    const r = toCurrent({ cniVersion: '0.2.0', ip4: { ip: '10.0.0.5/8', gateway: '10.0.0.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: {} }, '0.2.0');
    expect(r).toEqual({ cniVersion: '0.2.0', ips: [{ address: '10.0.0.5/8', gateway: '10.0.0.1' }], routes: [{ dst: '0.0.0.0/0' }] });
  });

  it('up from 0.4.0 drops the version field', () => {
    const r = toCurrent({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.5/8' }] }, '0.4.0');
    expect(r.ips).toEqual([{ address: '10.0.0.5/8' }]);
  });

  it('round-trips every version pair without losing the first addresses', () => {
    const versions = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
    for (const from of versions) {
      for (const to of versions) {
        const start = toVersion(full, from);
        const conv = convertResult(start, from, to) as any;
        expect(conv.cniVersion).toBe(to);
        const back = toCurrent(conv, to);
        expect(back.ips?.[0]?.address).toBe('10.1.0.2/24');
        expect(back.ips?.some((i) => i.address === 'fd00::2/64')).toBe(true);
      }
    }
  });

  it('a result without cniVersion takes the fallback', () => {
    expect(toCurrent({ ips: [{ address: '1.2.3.4/32' }] }, '0.3.1').cniVersion).toBe('0.3.1');
  });

  it('rejects malformed results with a decoding error naming the field', () => {
    expect(() => toCurrent({ cniVersion: '1.0.0', ips: [{ gateway: '1.1.1.1' }] }, '1.0.0')).toThrow(/ips\[0\]\.address/);
    expect(() => toCurrent({ cniVersion: '1.0.0', ips: 'x' }, '1.0.0')).toThrow(/ips must be a list/);
    expect(() => toCurrent([], '1.0.0')).toThrow(/not a JSON object/);
  });

  it('omits an empty dns', () => {
    const out = toVersion({ cniVersion: '1.0.0', ips: [{ address: '1.2.3.4/24' }], dns: {} }, '1.0.0');
    expect(out).not.toHaveProperty('dns');
  });
});
