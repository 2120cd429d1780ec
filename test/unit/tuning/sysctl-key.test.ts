import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { checkAllowlist, parseAllowlist, sameSysctlValue, sysctlPath, sysctlSettings } from '../../../shared/conf/tuning-sysctl';

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof CniError ? e.code : -1;
  }
  return undefined;
};

describe('sysctl keys', () => {
  it('accepts dot and slash forms; in slash form dots are part of a name', () => {
    expect(sysctlPath('net.ipv4.ip_forward', 'eth0')).toBe('net/ipv4/ip_forward');
    expect(sysctlPath('net/ipv4/conf/eth0.100/rp_filter', 'eth0')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(sysctlPath('net.ipv6.conf.IFNAME.accept_ra', 'net1')).toBe('net/ipv6/conf/net1/accept_ra');
  });

  it('refuses keys outside net.* with code 7 naming the key', () => {
    for (const key of ['kernel.pid_max', 'vm/swappiness', 'net', 'netfoo.bar', '']) {
      expect(codeOf(() => sysctlPath(key, 'eth0'))).toBe(7);
    }
    expect(() => sysctlPath('kernel.pid_max', 'eth0')).toThrow(/"kernel\.pid_max".*field "sysctl"/);
  });

  it('refuses ".." and "." components, empty components and whitespace', () => {
    for (const key of ['net/../kernel/pid_max', 'net/ipv4/../../kernel', 'net/./ipv4', 'net//ipv4', 'net.ipv4.', '/net/ipv4/ip_forward', 'net.ipv4 .x', 'net/ipv4\0']) {
      expect(codeOf(() => sysctlPath(key, 'eth0'))).toBe(7);
    }
  });

  it('never yields a path outside net/ (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('eth0', 'net1'), (key, ifname) => {
        let p: string;
        try {
          p = sysctlPath(key, ifname);
        } catch (e) {
          return e instanceof CniError && e.code === 7;
        }
        const parts = p.split('/');
        return parts[0] === 'net' && parts.length >= 2 && !parts.some((x) => x === '' || x === '.' || x === '..');
      }),
    );
  });

  it('two spellings of one sysctl are refused', () => {
    expect(codeOf(() => sysctlSettings({ 'net.ipv4.ip_forward': '1', 'net/ipv4/ip_forward': '0' }, 'eth0'))).toBe(7);
    expect(sysctlSettings({ 'net.ipv4.ip_forward': '1' }, 'eth0')).toEqual([{ key: 'net.ipv4.ip_forward', path: 'net/ipv4/ip_forward', value: '1' }]);
  });

  it('compares values as the kernel prints them', () => {
    expect(sameSysctlValue('4096\t87380\t6291456', '4096 87380 6291456')).toBe(true);
    expect(sameSysctlValue('1', '0')).toBe(false);
  });

  it('the allowlist (regular expressions, one per line) limits the keys', () => {
    const p = parseAllowlist('^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$\n\n  ^net\\.ipv4\\.ping_group_range$  \n');
    expect(p).toHaveLength(2);
    const ok = sysctlSettings({ 'net.ipv4.conf.IFNAME.arp_notify': '1' }, 'eth0');
    expect(() => checkAllowlist(ok, p)).not.toThrow();
    const no = sysctlSettings({ 'net.ipv4.ip_forward': '1' }, 'eth0');
    expect(codeOf(() => checkAllowlist(no, p))).toBe(7);
    expect(() => checkAllowlist(no, undefined)).not.toThrow();
    expect(codeOf(() => parseAllowlist('(unclosed'))).toBe(7);
  });
});
