// `network create/rm/prune` command lines and -o options: Docker's spellings, and every refusal
// names what is wrong.
import { describe, expect, it } from 'vitest';
import { parseCreateArgs, parseRmArgs } from '../../../plugins/cnitool/create/flags';
import { driverOptions } from '../../../plugins/cnitool/create/options';

describe('parseCreateArgs', () => {
  it('defaults: bridge, DNS on, nothing else', () => {
    expect(parseCreateArgs(['web'])).toEqual({
      name: 'web', driver: 'bridge', subnets: [], gateways: [], ipRanges: [], ipv6: false, internal: false, opts: [], dns: true, json: false, dryRun: false, force: false,
    });
  });

  it("takes Docker's flags in both spellings, anywhere on the line", () => {
    const a = parseCreateArgs(['-d', 'macvlan', '--subnet', '10.1.0.0/24', 'lan', '--subnet=fd00:1::/64', '--gateway', '10.1.0.254', '--ip-range=10.1.0.128/25', '-o', 'parent=eth0', '--opt=macvlan_mode=vepa', '--ipv6', '--internal', '--dns=false', '--json', '--dry-run', '-f']);
    expect(a).toEqual({
      name: 'lan', driver: 'macvlan', subnets: ['10.1.0.0/24', 'fd00:1::/64'], gateways: ['10.1.0.254'], ipRanges: ['10.1.0.128/25'], ipv6: true, internal: true,
      opts: [['parent', 'eth0'], ['macvlan_mode', 'vepa']], dns: false, json: true, dryRun: true, force: true,
    });
    expect(parseCreateArgs(['--driver=vxlan', '--dns=true', '--internal=false', 'n'])).toMatchObject({ driver: 'vxlan', dns: true, internal: false });
    // An option value may itself hold '='.
    expect(parseCreateArgs(['-o', 'etcd=http://a:1', '-o', 'k=a=b', 'n']).opts).toEqual([['etcd', 'http://a:1'], ['k', 'a=b']]);
  });

  it('refuses what it cannot read', () => {
    expect(() => parseCreateArgs(['-d', 'overlay', 'n'])).toThrow('unknown driver "overlay": use one of bridge, macvlan, vxlan');
    expect(() => parseCreateArgs(['--subnet'])).toThrow('flag needs an argument: --subnet');
    expect(() => parseCreateArgs(['--bogus', 'n'])).toThrow(/^unknown flag: --bogus/);
    expect(() => parseCreateArgs(['--dns=maybe', 'n'])).toThrow('invalid argument "maybe" for --dns: must be true or false');
    expect(() => parseCreateArgs(['-o', 'parent', 'n'])).toThrow('invalid option "parent": must be key=value');
    expect(() => parseCreateArgs(['-o', 'a=1', '-o', 'a=2', 'n'])).toThrow('option "a" is given twice');
    expect(() => parseCreateArgs([])).toThrow(/^usage: cnitool network create/);
    expect(() => parseCreateArgs(['a', 'b'])).toThrow(/^network create takes one NAME, not 2/);
  });
});

describe('parseRmArgs', () => {
  it('rm takes names and --force; prune takes no names', () => {
    expect(parseRmArgs(['a', '--force', 'b'], 'rm')).toEqual({ names: ['a', 'b'], force: true });
    expect(() => parseRmArgs([], 'rm')).toThrow('usage: cnitool network rm [--force] NAME...');
    expect(() => parseRmArgs(['-x', 'a'], 'rm')).toThrow(/^unknown flag: -x/);
    expect(parseRmArgs(['-f'], 'prune')).toEqual({ names: [], force: true });
    expect(() => parseRmArgs(['a'], 'prune')).toThrow(/takes no names/);
  });
});

describe('driverOptions', () => {
  it('bridge: its keys and Docker\'s long names', () => {
    expect(driverOptions('bridge', [])).toEqual({ driver: 'bridge', isolate: 'open', ipMasq: true });
    expect(
      driverOptions('bridge', [['com.docker.network.bridge.name', 'br-x'], ['com.docker.network.driver.mtu', '1400'], ['isolate', 'true'], ['com.docker.network.bridge.enable_ip_masquerade', 'false'], ['data_dir', '/tmp/x/'], ['dns_domain', 'corp']]),
    ).toEqual({ driver: 'bridge', bridge: 'br-x', mtu: 1400, isolate: 'same-bridge', ipMasq: false, dataDir: '/tmp/x', dnsDomain: 'corp' });
    expect(driverOptions('bridge', [['isolate', 'strict']])).toMatchObject({ isolate: 'isolated' });
  });

  it('refuses unknown keys, bad values and one key given twice', () => {
    expect(() => driverOptions('bridge', [['parent', 'eth0']])).toThrow('unknown option "parent" for driver bridge (known: bridge, mtu, isolate, ip_masquerade, dns_domain, data_dir)');
    expect(() => driverOptions('bridge', [['mtu', '9x']])).toThrow('invalid option mtu=9x: must be a whole number from 68 to 65535');
    expect(() => driverOptions('bridge', [['mtu', '1400'], ['com.docker.network.driver.mtu', '1500']])).toThrow('option com.docker.network.driver.mtu repeats mtu');
    expect(() => driverOptions('bridge', [['bridge', 'a-very-long-bridge-name']])).toThrow(/invalid option bridge=a-very-long-bridge-name: interface name .* longer than 15 bytes/);
    expect(() => driverOptions('bridge', [['data_dir', 'rel/dir']])).toThrow('invalid option data_dir=rel/dir: must be an absolute path');
    expect(() => driverOptions('bridge', [['isolate', 'yes']])).toThrow('invalid option isolate=yes: must be true, false or strict');
  });

  it('macvlan: parent is required, the mode is checked', () => {
    expect(() => driverOptions('macvlan', [])).toThrow('the macvlan driver needs -o parent=IF');
    expect(driverOptions('macvlan', [['parent', 'eth0']])).toEqual({ driver: 'macvlan', parent: 'eth0', mode: 'bridge' });
    expect(() => driverOptions('macvlan', [['parent', 'eth0'], ['macvlan_mode', 'l2']])).toThrow('invalid option macvlan_mode=l2: must be one of bridge, private, vepa, passthru');
  });

  it('vxlan: a store or a peers file; etcd URLs, TLS files and shares checked', () => {
    expect(() => driverOptions('vxlan', [])).toThrow('the vxlan driver needs -o etcd=URL[,URL] (hosts meet in etcd) or -o peers=FILE (a JSON list of the hosts)');
    expect(driverOptions('vxlan', [['etcd', 'https://10.0.0.5:2379, https://10.0.0.6:2379'], ['etcd-ca', '/ca.pem'], ['vni', '42'], ['mode', 'l3'], ['subnet_len', '26']])).toEqual({
      driver: 'vxlan', mode: 'l3', vni: 42, subnetLen: 26, etcd: { endpoints: ['https://10.0.0.5:2379', 'https://10.0.0.6:2379'], ca: '/ca.pem' },
    });
    expect(() => driverOptions('vxlan', [['etcd', 'tcp://x']])).toThrow('invalid option etcd=tcp://x: "tcp://x" is not an http:// or https:// URL');
    expect(() => driverOptions('vxlan', [['peers', '/p.json'], ['etcd-ca', '/ca']])).toThrow('option etcd-ca needs -o etcd=URL[,URL]');
    expect(() => driverOptions('vxlan', [['peers', '/p.json'], ['vni', '0']])).toThrow('invalid option vni=0: must be a whole number from 1 to 16777215');
    expect(() => driverOptions('vxlan', [['peers', '/p.json'], ['mode', 'l4']])).toThrow('invalid option mode=l4: must be l2 or l3');
    expect(() => driverOptions('vxlan', [['peers', '/p.json'], ['block_len', '26'], ['mode', 'l3']])).toThrow(/block_len is for -o mode=l2/);
  });
});
