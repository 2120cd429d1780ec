// The one IP address module (shared/cni/ip.ts): Go's parsing rules, Go's text, the arithmetic the
// other layers build on, and the forms whose handling changed when the overlay, firewall and
// netlink stopped parsing with ipaddr.js on their own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  cidrContains,
  cidrRange,
  formatCidr,
  formatIp,
  ipFamily,
  ipFromBytes,
  ipRange,
  ipToBytes,
  lastOf,
  networkOf,
  parseCidr,
  parseIp,
  rangeContains,
  rangesOverlap,
  rangeWithin,
} from '../../../shared/cni/ip';

const text = (s: string): string | undefined => canonicalIp(s);
const cidrText = (s: string): string | undefined => {
  const c = parseCidr(s);
  return c && formatCidr(c);
};

describe('parsing and text, as Go', () => {
  it('formats v6 like Go: longest zero run, first on a tie, never a single group', () => {
    const cases: [string, string][] = [
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fd00:9::', 'fd00:9::'],
      ['::1.2.3.4', '::102:304'],
      ['FD00::A', 'fd00::a'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ];
    for (const [input, want] of cases) expect(formatIp(parseIp(input)!), input).toBe(want);
  });

  it('turns v4-mapped addresses into v4 and rejects what Go rejects', () => {
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(ipFamily('::ffff:10.1.2.3')).toBe(4);
    expect(ipFamily('fd00::1')).toBe(6);
    expect(ipFamily('10.0.0.1')).toBe(4);
    const bad = ['010.1.2.3', '10.1.2', '10.1.2.256', '0x7f.0.0.1', ' 10.0.0.1', '10.0.0.1 ', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '00001::', 'x', '', '10.0.0.1/24', ':1::', 'fe80::1%eth0', '::ffff:010.2.3.4', '+1.2.3.4', '1.2.3.-4', '1..2.3', '1.2.3.4.', '.1.2.3', '1e1.0.0.1', '1.2.3.0x4', '\u0661.2.3.4', '1.2.3.1000', '1.2.3. 4'];
    for (const s of bad) {
      expect(parseIp(s), s).toBeUndefined();
      expect(ipFamily(s), s).toBeUndefined();
    }
  });

  it('reads every dotted quad of four decimal octets, and nothing with a zero-padded octet', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (o) => {
        expect(parseIp(o.join('.'))).toEqual({ family: 4, value: BigInt(((o[0]! * 256 + o[1]!) * 256 + o[2]!) * 256 + o[3]!) });
        expect(parseIp(o.map((x, i) => (i === 2 ? `0${x}` : String(x))).join('.'))).toBeUndefined();
      }),
    );
  });

  it('round-trips every v4 and v6 value', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (v) => parseIp(formatIp({ family: 4, value: v }))!.value === v));
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        if (v >> 32n === 0xffffn) return true; // v4-mapped: becomes v4 by design
        const back = parseIp(formatIp({ family: 6, value: v }))!;
        return back.family === 6 && back.value === v;
      }),
    );
  });

  it('parses CIDRs keeping host bits, refusing oversize or non-decimal prefixes', () => {
    expect(parseCidr('10.1.2.3/24')).toEqual({ ip: { family: 4, value: 0x0a010203n }, prefix: 24 });
    expect(parseCidr('fd00::/64')!.prefix).toBe(64);
    expect(cidrText('10.0.0.0/024')).toBe('10.0.0.0/24');
    for (const s of ['10.0.0.0/33', 'fd00::/129', '10.0.0.1', '10.0.0.0/', '10.0.0.0/x', '10.0.0.0/0x8', '10.0.0.0/ 8', '10.0.0.0/+8', '10.0.0.0/8.0', '10.0.0.0/1e1', '010.0.0.0/8']) {
      expect(parseCidr(s), s).toBeUndefined();
    }
  });
});

describe('arithmetic', () => {
  it('network, last (broadcast) and containment, v4 and v6', () => {
    const c = parseCidr('10.1.2.3/20')!;
    expect(formatIp(networkOf(c))).toBe('10.1.0.0');
    expect(formatIp(lastOf(c))).toBe('10.1.15.255');
    expect(formatIp(networkOf(parseCidr('fd00:1:2:3::9/62')!))).toBe('fd00:1:2::');
    expect(formatIp(lastOf(parseCidr('fd00:1:2:3::9/62')!))).toBe('fd00:1:2:3:ffff:ffff:ffff:ffff');
    expect(formatIp(networkOf(parseCidr('0.0.0.0/0')!))).toBe('0.0.0.0');
    expect(formatIp(lastOf(parseCidr('10.0.0.7/32')!))).toBe('10.0.0.7');
    expect(cidrContains(c, parseIp('10.1.15.255')!)).toBe(true);
    expect(cidrContains(c, parseIp('10.1.16.0')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0')!, parseIp('10.0.0.1')!)).toBe(false);
  });

  it('bytes in network order, 4 for v4 and 16 for v6', () => {
    expect(ipToBytes(parseIp('10.1.2.3')!)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(ipToBytes(parseIp('::ffff:10.1.2.3')!)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(ipToBytes(parseIp('fd00::1')!).toString('hex')).toBe('fd000000000000000000000000000001');
    expect(ipFromBytes(Buffer.from('fd000000000000000000000000000001', 'hex'))).toEqual(parseIp('fd00::1'));
    // 16 bytes stay family 6 (the kernel said so); the text is Go's, the dotted form.
    const mapped = ipFromBytes(Buffer.from('00000000000000000000ffff0a010203', 'hex'))!;
    expect(mapped.family).toBe(6);
    expect(formatIp(mapped)).toBe('10.1.2.3');
    expect(ipFromBytes(Buffer.from([1, 2, 3]))).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => ipToBytes(ipFromBytes(b)!).equals(Buffer.from(b))));
  });

  it('ranges overlap only within one family and when they share an address', () => {
    expect(rangesOverlap(ipRange('10.0.0.1', '10.0.0.5')!, ipRange('10.0.0.5', '10.0.0.9')!)).toBe(true);
    expect(rangesOverlap(ipRange('10.0.0.1', '10.0.0.4')!, ipRange('10.0.0.5', '10.0.0.9')!)).toBe(false);
    expect(rangesOverlap(ipRange('::', '::ffff')!, ipRange('0.0.0.0', '0.0.0.9')!)).toBe(false);
    expect(ipRange('10.0.0.9', '10.0.0.1')).toBeUndefined();
    expect(ipRange('10.0.0.1', 'fd00::1')).toBeUndefined();
    expect(ipRange('10.0.0.1', '010.0.0.2')).toBeUndefined();
    const net = cidrRange(parseCidr('fd00::5/120')!);
    expect(rangeWithin(ipRange('fd00::10', 'fd00::ff')!, net)).toBe(true);
    expect(rangeWithin(ipRange('fd00::10', 'fd00::100')!, net)).toBe(false);
    expect(rangeContains(net, parseIp('fd00::')!)).toBe(true);
    expect(rangeContains(net, parseIp('fd00::100')!)).toBe(false);
  });
});

// Before this module the overlay (ipaddr.js), the firewall (ipaddr.js, Number() for the prefix)
// and netlink (ipaddr.js) each parsed on their own. These are the forms they read differently
// from host-local (a fuzz of the old parsers against this one found no other kind); all now
// read as below. No form they rejected is accepted now. A deliberate parity change, not a slip.
// Two rows are host-local's own rule rather than Go's: Go keeps "::ffff:a.b.c.d/N" a 16-byte
// prefix (N up to 128); host-local has always made it IPv4 and refused N > 32, and must not change.
describe('parity change: the forms the overlay, firewall and netlink read differently before', () => {
  const table: { form: string; before: string; now: string | undefined }[] = [
    { form: 'fe80::1%eth0', before: 'accepted with its zone (netlink dropped the zone)', now: undefined },
    { form: '::ffff:010.2.3.4', before: 'accepted as ::ffff:a02:304 (leading zero in the v4 tail)', now: undefined },
    { form: 'e::001.2.3.4', before: 'accepted as e::102:304 (zero-padded octet in the v4 tail)', now: undefined },
    { form: 'fff:ff::0101.2.3.4', before: 'accepted as fff:ff::6502:304 (four-digit octet in the v4 tail)', now: undefined },
    { form: '::0x11.2.3.4', before: 'accepted as ::ffff:1102:304 (hex octet in the v4 tail)', now: undefined },
    { form: '::1.2.3.4', before: 'read as v4-mapped ::ffff:102:304 (only with nothing before the ::)', now: '::102:304' },
    { form: '::ffff:1.2.3.4', before: 'v6 ::ffff:102:304 (netlink: 16 bytes, AF_INET6)', now: '1.2.3.4' },
  ];
  const cidrs: { form: string; before: string; now: string | undefined }[] = [
    { form: 'fe80::1%eth0/64', before: 'accepted with its zone', now: undefined },
    { form: '::ffff:10.0.0.0/104', before: 'v6 ::ffff:a00:0/104', now: undefined },
    { form: '::ffff:10.0.0.0/24', before: 'v6, network ::/24', now: '10.0.0.0/24' },
    { form: '10.0.0.0/', before: 'firewall: /0', now: undefined },
    { form: '10.0.0.0/0x8', before: 'firewall: /8', now: undefined },
    { form: '10.0.0.0/ 8', before: 'firewall: /8', now: undefined },
    { form: '10.0.0.0/+8', before: 'firewall: /8', now: undefined },
    { form: '10.0.0.0/8.0', before: 'firewall: /8', now: undefined },
    { form: '10.0.0.0/1e1', before: 'firewall: /10', now: undefined },
  ];
  for (const { form, before, now } of table) {
    it(`${form}: was ${before}, now ${now ?? 'rejected'}`, () => expect(text(form)).toBe(now));
  }
  for (const { form, before, now } of cidrs) {
    it(`${form}: was ${before}, now ${now ?? 'rejected'}`, () => expect(cidrText(form)).toBe(now));
  }
});
