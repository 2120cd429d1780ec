// What the dnsname plugin reads from its input: names from CNI_ARGS and the aliases capability,
// addresses and gateways from prevResult, and its config keys.
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import type { Result } from '../../../shared/cni/result';
import { configuredUpstreams, dnsnameConfSchema, domainOf, type DnsnameConf } from '../../../shared/conf/dnsname';
import { containerNames } from '../../../plugins/dnsname/container-names';
import { addressing, containerIps, gateways } from '../../../plugins/dnsname/prev-result';

const conf = (extra: Record<string, unknown> = {}): DnsnameConf => dnsnameConfSchema.parse({ cniVersion: '0.4.0', name: 'net1', type: 'dnsname', ...extra });
const args = (s: Record<string, string>) => new Map(Object.entries(s));

function cniError(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('container names', () => {
  it("takes K8S_POD_NAME and podman's per-network aliases, dropping repeats", () => {
    const c = conf({ runtimeConfig: { aliases: { net1: ['www', 'WEB', 'www', 'api'], other: ['x'] } } });
    expect(containerNames(c, args({ K8S_POD_NAME: 'web', IgnoreUnknown: '1' }))).toEqual({ name: 'web', aliases: ['www', 'api'] });
  });
  it('takes a plain alias list, its first entry as the name when K8S_POD_NAME is absent', () => {
    expect(containerNames(conf({ runtimeConfig: { aliases: ['db', 'pg'] } }), args({}))).toEqual({ name: 'db', aliases: ['pg'] });
  });
  it('gives no name when there is none', () => {
    expect(containerNames(conf(), args({}))).toEqual({ aliases: [] });
    expect(containerNames(conf({ runtimeConfig: { aliases: { other: ['x'] } } }), args({}))).toEqual({ aliases: [] });
  });
  it('refuses a name that is not a DNS label (code 4, naming CNI_ARGS)', () => {
    const e = cniError(() => containerNames(conf(), args({ K8S_POD_NAME: 'my.container' })));
    expect(e.code).toBe(4);
    expect(e.msg).toMatch(/invalid container name "my.container" in CNI_ARGS K8S_POD_NAME: not a DNS label: it contains a dot/);
  });
  it('refuses a bad alias (code 7, naming the field)', () => {
    const e = cniError(() => containerNames(conf({ runtimeConfig: { aliases: { net1: ['ok', '-bad'] } } }), args({ K8S_POD_NAME: 'web' })));
    expect(e.code).toBe(7);
    expect(e.msg).toMatch(/field "runtimeConfig.aliases.net1\[1\]"/);
    expect(cniError(() => containerNames(conf({ runtimeConfig: { aliases: 'x' } }), args({}))).msg).toMatch(/runtimeConfig.aliases/);
    expect(cniError(() => containerNames(conf({ runtimeConfig: { aliases: [3] } }), args({}))).msg).toMatch(/not a string/);
  });
});

const bridgeResult: Result = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'br0', mac: '00:00:00:00:00:01' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/c1' }],
  ips: [
    { interface: 2, address: '10.0.0.2/24', gateway: '10.0.0.1' },
    { interface: 2, address: 'FD00:0:0::2/64', gateway: 'fd00::1' },
    { interface: 0, address: '10.0.0.1/24' },
  ],
};

describe('prevResult', () => {
  it("finds the container's addresses (IPv6 canonical) and the gateways", () => {
    expect(containerIps(bridgeResult)).toEqual(['10.0.0.2', 'fd00::2']);
    expect(gateways(bridgeResult)).toEqual(['10.0.0.1', 'fd00::1']);
  });
  it('takes addresses without an interface index (IPAM-shaped results)', () => {
    expect(containerIps({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24', gateway: '10.0.0.1' }] })).toEqual(['10.0.0.5']);
  });
  it('requires an address and a gateway in prevResult (code 7)', () => {
    expect(cniError(() => addressing({ cniVersion: '1.0.0' })).details).toMatch(/prevResult.ips/);
    const e = cniError(() => addressing({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24' }] }));
    expect(e.code).toBe(7);
    expect(e.details).toMatch(/gateway/);
  });
});

describe('config', () => {
  it('defaults the domain to podman\'s and lower-cases it', () => {
    expect(domainOf(conf())).toBe('dns.podman');
    expect(domainOf(conf({ domainName: 'Corp.Example.' }))).toBe('corp.example');
  });
  it('refuses a bad domain and bad upstreams naming the field', () => {
    expect(cniError(() => domainOf(conf({ domainName: 'a..b' }))).msg).toMatch(/invalid field "domainName"/);
    expect(cniError(() => configuredUpstreams(conf({ upstreamServers: ['1.1.1.1', 'dns.google'] }))).msg).toMatch(/"upstreamServers\[1\]"/);
    expect(configuredUpstreams(conf())).toBeUndefined();
  });
  it('wants absolute paths', () => {
    expect(dnsnameConfSchema.safeParse({ name: 'n', stateDir: 'rel/dir' }).success).toBe(false);
    expect(dnsnameConfSchema.safeParse({ name: 'n', dnsmasqPath: '/usr/sbin/dnsmasq', keepMe: 1 }).data).toMatchObject({ keepMe: 1 });
  });
});
