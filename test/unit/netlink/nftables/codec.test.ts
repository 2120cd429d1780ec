import { describe, expect, it } from 'vitest';
import { NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED } from '../../../../shared/netlink/constants';
import { encodeAttr } from '../../../../shared/netlink/codec';
import { NetlinkError } from '../../../../shared/netlink/error';
import { parseErrorPayload } from '../../../../shared/netlink/socket';
import { elemUserdata } from '../../../../shared/netlink/nftables/codec';
import { concatLen, decodeConcat, encodeConcat } from '../../../../shared/netlink/nftables/datatypes';
import { addElements, changeBodies, decodeElements, type NftChange } from '../../../../shared/netlink/nftables/elements';

const changeBody = (c: NftChange): Buffer => changeBodies(c)[0]!.body;
import { NftExistsError, NftMissingError, blameOf, nftError } from '../../../../shared/netlink/nftables/errors';
import { dnat4, hdnat4, masq4, masq6, src4 } from './cases';

const hex = (b: Buffer): string => b.toString('hex');

describe('nft data types', () => {
  it('pads each concatenation component to 4 bytes, in each type\'s byte order', () => {
    expect(hex(encodeConcat(['inet_proto', 'inet_service'], ['tcp', 8080], 'k'))).toBe('06000000' + '1f900000');
    expect(hex(encodeConcat(['ipv4_addr', 'inet_proto', 'inet_service'], ['127.0.0.1', 'udp', 53], 'k'))).toBe('7f000001' + '11000000' + '00350000');
    expect(concatLen(['ipv6_addr', 'inet_service'])).toBe(20);
    expect(hex(encodeConcat(['ifname', 'ifname'], ['br0', 'br1'], 'k'))).toBe(`${hex(Buffer.from('br0'))}${'00'.repeat(13)}${hex(Buffer.from('br1'))}${'00'.repeat(13)}`);
  });

  it('keeps a single type at its natural length; mark is host-endian', () => {
    expect(hex(encodeConcat(['inet_service'], [80], 'k'))).toBe('0050');
    expect(hex(encodeConcat(['inet_proto'], [132], 'k'))).toBe('84');
    expect(hex(encodeConcat(['mark'], [0x12345678], 'k'))).toBe('78563412');
  });

  it('turns prefixes into a first/last pair in interval sets, points stay points', () => {
    const [a, b] = encodeConcat(['ipv4_addr', 'ipv4_addr'], ['10.1.0.0/24', '10.1.0.5'], 'k', true);
    expect([hex(a), hex(b)]).toEqual(['0a010000' + '0a010005', '0a0100ff' + '0a010005']);
    const [c, d] = encodeConcat(['ipv4_addr', 'ipv4_addr'], ['0.0.0.0/0', '10.1.0.5'], 'k', true);
    expect([hex(c), hex(d)]).toEqual(['00000000' + '0a010005', 'ffffffff' + '0a010005']);
    const [e, f] = encodeConcat(['ipv4_addr', 'ipv4_addr'], ['127.0.0.1', '10.1.0.5'], 'k', true);
    expect(hex(e)).toBe(hex(f));
  });

  it('decodes back, rendering an interval as a prefix (or a range when it is none)', () => {
    const [a, b] = encodeConcat(['ipv6_addr', 'ipv6_addr'], ['fd00:1::/64', 'fd00:1::5'], 'k', true);
    expect(decodeConcat(['ipv6_addr', 'ipv6_addr'], a, b)).toEqual(['fd00:1::/64', 'fd00:1::5']);
    const odd = Buffer.from('0a0100050a010005', 'hex');
    expect(decodeConcat(['ipv4_addr', 'ipv4_addr'], Buffer.from('0a0100010a010005', 'hex'), odd)).toEqual(['10.1.0.1-10.1.0.5', '10.1.0.5']);
    expect(decodeConcat(['inet_proto', 'inet_service'], encodeConcat(['inet_proto', 'inet_service'], ['sctp', 9], 'k'))).toEqual(['sctp', 9]);
    expect(decodeConcat(['inet_proto'], Buffer.from([250]))).toEqual([250]);
    expect(decodeConcat(['ifname'], encodeConcat(['ifname'], ['cni0'], 'k'))).toEqual(['cni0']);
  });

  it('refuses bad values with EINVAL naming the field, before the kernel is asked', () => {
    const bad: [readonly any[], any[], boolean][] = [
      [['ipv4_addr'], ['fd00::1'], false],
      [['ipv6_addr'], ['10.0.0.1'], false],
      [['inet_service'], [65536], false],
      [['inet_service'], ['80'], false],
      [['inet_proto'], ['tcpx'], false],
      [['ifname'], ['a-very-long-ifname'], false],
      [['ipv4_addr'], ['10.0.0.0/24'], false], // a prefix outside an interval set
      [['ipv4_addr', 'ipv4_addr'], ['10.0.0.1/24', '10.0.0.1'], true], // host bits
      [['inet_proto', 'inet_service'], ['tcp'], false],
    ];
    for (const [types, values, interval] of bad) {
      const run = (): unknown => (interval ? encodeConcat(types, values, 'set x key', true) : encodeConcat(types, values, 'set x key'));
      expect(run, JSON.stringify(values)).toThrow(NetlinkError);
      expect(run).toThrow(/set x key/);
    }
  });
});

describe('element userdata', () => {
  it('writes the comment as nft does: type 0, length with the NUL', () => {
    expect(hex(elemUserdata.encode({ comment: 'x' }))).toBe('00027800');
    expect(elemUserdata.decode(Buffer.from('00027800', 'hex'))).toEqual({ comment: 'x' });
  });

  it('skips unknown records and stops at a truncated one', () => {
    expect(elemUserdata.decode(Buffer.from('07026162' + '0003616200' + '0109', 'hex'))).toEqual({ comment: 'ab' });
  });
});

describe('element bodies', () => {
  it('decode back to keys, values, verdicts and comments', () => {
    const els = [
      { key: ['tcp', 8080], value: ['10.1.0.5', 80], comment: 'n/c/eth0' },
      { key: ['udp', 53], value: ['10.1.0.6', 5353] },
    ] as const;
    expect(decodeElements(dnat4, changeBody(addElements(dnat4, els.map((e) => ({ ...e, key: [...e.key], value: [...e.value] })))))).toEqual(els);
    const v = { key: ['10.1.0.5'] as [string], value: { goto: 'n_x' }, comment: 'c' };
    expect(decodeElements(src4, changeBody(addElements(src4, [v])))).toEqual([v]);
    const m = { key: ['10.1.0.0/24', '10.1.0.5'] as [string, string], comment: 'n/c/eth0' };
    expect(decodeElements(masq4, changeBody(addElements(masq4, [m])))).toEqual([m]);
  });

  it('split a long element list into several messages (16-bit attribute lengths)', () => {
    const els = Array.from({ length: 1500 }, (_, i) => ({ key: ['tcp', i + 1] as [string, number], value: ['10.1.0.5', 80] as [string, number], comment: `n/${'c'.repeat(64)}/eth0` }));
    const bodies = changeBodies(addElements(dnat4, els));
    expect(bodies.length).toBeGreaterThan(2);
    expect(bodies.every((b) => b.body.length < 65535)).toBe(true);
    expect(bodies.flatMap((b) => decodeElements(dnat4, b.body))).toEqual(els);
    let n = 0;
    for (const b of bodies) {
      expect(b.first).toBe(n);
      n += decodeElements(dnat4, b.body).length;
    }
  });

  it('refuse a map element without a value and an over-long comment', () => {
    expect(() => changeBody(addElements(dnat4, [{ key: ['tcp', 1] }]))).toThrow(/needs a value/);
    expect(() => changeBody(addElements(masq6, [{ key: ['fd00::/64', 'fd00::1'], comment: 'x'.repeat(129) }]))).toThrow(/longer than 128/);
  });
});

describe('errors', () => {
  const body = changeBody(addElements(hdnat4, [
    { key: ['10.0.0.1', 'tcp', 80], value: ['10.1.0.5', 80] },
    { key: ['10.0.0.1', 'tcp', 81], value: ['10.1.0.5', 81], comment: 'n/c/eth0' },
  ]));
  // Offsets count from the nlmsghdr (16 bytes) and the body starts with the 4-byte nfgenmsg.
  const attrAt = (n: number): number => {
    let off = 4;
    for (let i = 0; i < n; i++) off += (body.readUInt16LE(off) + 3) & ~3;
    return 16 + off;
  };

  it('map the kernel\'s blamed offset to the table, the set or one element', () => {
    expect(blameOf(body, attrAt(0))).toEqual({ blame: 'table' });
    expect(blameOf(body, attrAt(1))).toEqual({ blame: 'set' });
    const elements = attrAt(2);
    const first = elements + 4;
    const second = first + ((body.readUInt16LE(first - 16) + 3) & ~3);
    expect(blameOf(body, first)).toEqual({ blame: 'element', element: 0 });
    expect(blameOf(body, second)).toEqual({ blame: 'element', element: 1 });
    expect(blameOf(body, undefined)).toEqual({});
  });

  it('EEXIST and ENOENT become typed errors carrying the blame', () => {
    const e = nftError({ errno: 17, offset: attrAt(2) + 4 }, 'add', body, 0);
    expect(e).toBeInstanceOf(NftExistsError);
    expect([e.code, e.blame, e.change, e.element]).toEqual(['EEXIST', 'element', 0, 0]);
    const m = nftError({ errno: 2, offset: attrAt(0), extAck: 'x' }, 'add', body, 1);
    expect(m).toBeInstanceOf(NftMissingError);
    expect([m.blame, m.change, m.message]).toEqual(['table', 1, 'add (table): x (ENOENT)']);
    expect(nftError({ errno: 85 }, 'batch')).not.toBeInstanceOf(NftMissingError);
  });

  it('the ack parser reads the extended ack offset', () => {
    const tlvs = Buffer.concat([encodeAttr(1, Buffer.from('No such\0')), encodeAttr(2, Buffer.from([40, 0, 0, 0]))]);
    const payload = Buffer.concat([Buffer.from([0xfe, 0xff, 0xff, 0xff]), Buffer.alloc(16), tlvs]);
    payload.writeUInt32LE(60, 4);
    expect(parseErrorPayload({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 1, pid: 0, payload })).toEqual({ errno: 2, extAck: 'No such', offset: 40 });
  });
});
