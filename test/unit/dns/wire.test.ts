import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordType, decodeResponse, encodeQuery, reverseName } from '../../../shared/dns';

// A response built by hand, byte by byte, with a compression pointer to the question name.
function response(id: number, rcode: number, answers: { type: number; rdata: number[] }[]): Buffer {
  const q = encodeQuery(id, 'web.dns.podman', RecordType.A);
  q.writeUInt16BE(0x8180 | rcode, 2);
  q.writeUInt16BE(answers.length, 6);
  const parts = [q];
  for (const a of answers) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to offset 12: the question's name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(a.rdata.length, 10);
    parts.push(rr, Buffer.from(a.rdata));
  }
  return Buffer.concat(parts);
}

describe('DNS wire format', () => {
  it('encodes a query as RFC 1035 lays it out', () => {
    const q = encodeQuery(0x1234, 'web.dns.podman.', RecordType.AAAA);
    expect(q.toString('hex')).toBe(
      '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '03776562' + '03646e73' + '06706f646d616e' + '00' + '001c' + '0001',
    );
  });

  it('refuses labels over 63 bytes', () => {
    expect(() => encodeQuery(1, `${'a'.repeat(64)}.x`, RecordType.A)).toThrow(/63/);
  });

  it('decodes A and AAAA answers behind a compressed name', () => {
    const v6 = [0xfd, 0x88, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    const r = decodeResponse(response(7, 0, [{ type: RecordType.A, rdata: [10, 88, 7, 2] }, { type: RecordType.AAAA, rdata: v6 }]));
    expect(r).toEqual({
      id: 7,
      rcode: 0,
      truncated: false,
      answers: [
        { name: 'web.dns.podman', type: 1, ttl: 600, data: '10.88.7.2' },
        { name: 'web.dns.podman', type: 28, ttl: 600, data: 'fd88:7::2' },
      ],
    });
  });

  it('reports NXDOMAIN with no answers', () => {
    expect(decodeResponse(response(9, 3, []))).toMatchObject({ id: 9, rcode: 3, answers: [] });
  });

  it('rejects truncated messages and pointer loops instead of hanging', () => {
    const full = response(7, 0, [{ type: RecordType.A, rdata: [10, 0, 0, 1] }]);
    expect(() => decodeResponse(full.subarray(0, full.length - 2))).toThrow(/truncated/);
    expect(() => decodeResponse(full.subarray(0, 5))).toThrow(/header/);
    const loop = Buffer.from(full);
    loop.writeUInt16BE(0xc00c, 12); // the question's name points at itself
    expect(() => decodeResponse(loop)).toThrow(/malformed/);
  });

  it('round-trips any A address (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 0xffff }), (ip, id) => {
        const r = decodeResponse(response(id, 0, [{ type: RecordType.A, rdata: ip }]));
        expect(r.id).toBe(id);
        expect(r.answers[0]!.data).toBe(ip.join('.'));
      }),
    );
  });

  it('builds reverse names', () => {
    expect(reverseName('10.88.7.2')).toBe('2.7.88.10.in-addr.arpa');
    expect(reverseName('fd88:7::2')).toBe('2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.0.0.0.8.8.d.f.ip6.arpa');
  });
});
