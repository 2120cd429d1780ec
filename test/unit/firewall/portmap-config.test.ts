import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { containerAddrs } from '../../../plugins/portmap/addresses';
import { conditionsDialect, settingsOf } from '../../../shared/conf/portmap';
import { parsePortMappings, resolveForwards } from '../../../plugins/portmap/mappings';

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof CniError ? e.code : -1;
  }
  return undefined;
};

describe('portMappings', () => {
  it('accepts containerd capitalised keys and podman camelCase alike', () => {
    const a = parsePortMappings([{ HostPort: 8080, ContainerPort: 80, Protocol: 'TCP', HostIP: '' }]);
    const b = parsePortMappings([{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(a).toEqual(b);
    expect(a).toEqual([{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });
  it('rejects bad ports, protocols and host IPs with code 7 naming the field', () => {
    for (const bad of [{ hostPort: 0, containerPort: 1 }, { hostPort: 1, containerPort: 70000 }, { hostPort: 1, containerPort: 1, protocol: 'icmp' }, { hostPort: 1, containerPort: 1, hostIP: '1.2.3' }]) {
      try {
        parsePortMappings([bad]);
        expect.unreachable();
      } catch (e) {
        expect((e as CniError).code).toBe(7);
        expect((e as CniError).message).toMatch(/runtimeConfig\.portMappings\[0\]\./);
      }
    }
  });
  it('resolves per family: no hostIP → both, a hostIP → its family only, 0.0.0.0 → any', () => {
    const addrs = [
      { family: 4 as const, ip: '10.0.0.2', prefix: 24, subnet: '10.0.0.0/24' },
      { family: 6 as const, ip: 'fd00::2', prefix: 64, subnet: 'fd00::/64' },
    ];
    const f = resolveForwards(parsePortMappings([{ hostPort: 1, containerPort: 2 }, { hostPort: 3, containerPort: 4, hostIP: '192.0.2.1' }, { hostPort: 5, containerPort: 6, hostIP: '0.0.0.0' }]), addrs);
    expect(f.map((x) => `${x.family} ${x.hostIP ?? '*'} ${x.hostPort}->${x.containerIP}:${x.containerPort}`)).toEqual([
      '4 * 1->10.0.0.2:2',
      '6 * 1->fd00::2:2',
      '4 192.0.2.1 3->10.0.0.2:4',
      '4 * 5->10.0.0.2:6',
      '6 * 5->fd00::2:6',
    ]);
    expect(code(() => resolveForwards(parsePortMappings([{ hostPort: 1, containerPort: 2 }, { hostPort: 1, containerPort: 3 }]), addrs))).toBe(112);
  });
  it('picks the first address per family on CNI_IFNAME inside a sandbox', () => {
    const prev = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'br0' }, { name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [{ address: '10.9.0.1/24', interface: 0 }, { address: '10.0.0.2/24', interface: 1 }, { address: '10.0.0.3/24', interface: 1 }, { address: 'fd00::2/64' }],
    };
    expect(containerAddrs(prev, 'eth0').map((a) => a.ip)).toEqual(['10.0.0.2', 'fd00::2']);
    expect(containerAddrs(prev, 'eth1').map((a) => a.ip)).toEqual(['fd00::2']);
  });
});

describe('portmap settings', () => {
  const base = { name: 'n' };
  it('defaults like the reference', () => {
    expect(settingsOf({ ...base, backend: 'iptables' })).toMatchObject({ backend: 'iptables', snat: true, masqAll: false, markMasqBit: 13 });
  });
  it('validates markMasqBit, externalSetMarkChain and backend names', () => {
    expect(code(() => settingsOf({ ...base, markMasqBit: 32 }))).toBe(7);
    expect(code(() => settingsOf({ ...base, markMasqBit: 3, externalSetMarkChain: 'KUBE-MARK-MASQ' }))).toBe(7);
    expect(code(() => settingsOf({ ...base, backend: 'pf' }))).toBe(2);
    expect(code(() => settingsOf({ ...base, backend: 'nftables', externalSetMarkChain: 'X' }))).toBe(7);
  });
  it('lets the conditions dialect pick the backend in auto mode and refuses a mismatch', () => {
    expect(conditionsDialect(['-m', 'comment'])).toBe('iptables');
    expect(conditionsDialect(['ip', 'saddr', '1.2.3.4'])).toBe('nftables');
    expect(settingsOf({ ...base, conditionsV4: ['!', '-s', '1.2.3.4'] }).backend).toBe('iptables');
    expect(settingsOf({ ...base, conditionsV4: ['ip', 'saddr', '1.2.3.4'] }).backend).toBe('nftables');
    expect(code(() => settingsOf({ ...base, backend: 'nftables', conditionsV4: ['-s', '1.2.3.4'] }))).toBe(7);
  });
});
