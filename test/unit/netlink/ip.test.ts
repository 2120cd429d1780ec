import { describe, expect, it } from 'vitest';
import { broadcastOf, formatIp, formatMac, networkOf, parseCidr, parseIp, parseMac } from '../../../shared/netlink/ip';
import { NetlinkError } from '../../../shared/netlink/error';

describe('ip helpers', () => {
  // The rules and the text are shared/cni/ip.ts's (test/unit/cni/ip.test.ts); here, the bytes.
  it('parses to kernel bytes and formats them back', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, bytes: Buffer.from([10, 1, 2, 3]) });
    expect(parseIp('FD00:0:0::1').family).toBe(6);
    expect(formatIp(parseIp('FD00:0:0::1').bytes)).toBe('fd00::1');
    // Go's To4(): a v4-mapped literal is an AF_INET address.
    expect(parseIp('::ffff:1.2.3.4')).toEqual({ family: 4, bytes: Buffer.from([1, 2, 3, 4]) });
    expect(formatIp(Buffer.from([1, 2, 3]))).toBe('010203');
  });

  it('rejects loose forms with EINVAL naming the input', () => {
    for (const bad of ['10.1', '0x7f.0.0.1', '1.2.3.256', 'fe80::1::2', '', 'eth0', 'fe80::1%eth0']) {
      expect(() => parseIp(bad, 'gw')).toThrow(NetlinkError);
      try {
        parseIp(bad, 'gw');
      } catch (e) {
        expect((e as NetlinkError).code).toBe('EINVAL');
        expect((e as Error).message).toContain(`"${bad}"`);
      }
    }
  });

  it('parses CIDRs and computes network and broadcast bytes', () => {
    const c = parseCidr('10.1.2.3/20');
    expect(c.prefixLen).toBe(20);
    expect(networkOf(c)).toEqual(Buffer.from([10, 1, 0, 0]));
    expect(broadcastOf(c)).toEqual(Buffer.from([10, 1, 15, 255]));
    expect(networkOf(parseCidr('fd00:1:2:3::9/62')).toString('hex')).toBe('fd000001000200000000000000000000');
    expect(() => parseCidr('10.0.0.1')).toThrow(/missing \/prefix/);
    expect(() => parseCidr('10.0.0.1/33')).toThrow(/bad prefix/);
    expect(() => parseCidr('::1/129')).toThrow(/bad prefix/);
    expect(() => parseCidr('10.0.0.1/x')).toThrow(/bad prefix/);
    expect(() => parseCidr('x/24')).toThrow(/invalid IP CIDR "x"/);
  });

  it('parses and formats MACs in lowercase', () => {
    expect(formatMac(parseMac('02:AA:bb:0c:DD:0e'))).toBe('02:aa:bb:0c:dd:0e');
    expect(() => parseMac('02:aa:bb:cc:dd')).toThrow(/invalid MAC/);
    expect(() => parseMac('02-aa-bb-cc-dd-ee')).toThrow(/invalid MAC/);
  });
});
