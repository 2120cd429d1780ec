import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  align, decodeAttrs, decodeBody, decodeMessages, decodeStruct, encodeAttr, encodeAttrs, encodeMessage, encodeStruct,
  ifinfomsg, iterAttrs, ndmsg, rtmsg, structSize, type Schema,
} from '../../../shared/netlink/codec';
import { NLA_F_NESTED, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, RTM_NEWLINK } from '../../../shared/netlink/constants';
import { linkAttrs, vethAttrs, vxlanAttrs, bridgeAfSpecAttrs } from '../../../shared/netlink/link-attrs';
import { multipathCodec, routeAttrs } from '../../../shared/netlink/route';
import { parseErrorPayload } from '../../../shared/netlink/socket';

describe('fixed headers', () => {
  it('have the kernel sizes', () => {
    expect(structSize(ifinfomsg)).toBe(16);
    expect(structSize(rtmsg)).toBe(12);
    expect(structSize(ndmsg)).toBe(12);
  });

  it('encode fields at their offsets and decode them back', () => {
    const b = encodeStruct(ifinfomsg, { family: 7, type: 1, index: 42, flags: 0x1003, change: 1 });
    expect(b.toString('hex')).toBe('07000100' + '2a000000' + '03100000' + '01000000');
    expect(decodeStruct(ifinfomsg, b)).toEqual({ family: 7, type: 1, index: 42, flags: 0x1003, change: 1 });
  });

  it('leave padding zero (strict dump checks reject anything else)', () => {
    const b = encodeStruct(ndmsg, { family: 2, index: -1, state: 0x80, flags: 2, type: 0 });
    expect(b.subarray(1, 4)).toEqual(Buffer.alloc(3));
    expect(decodeStruct(ndmsg, b).index).toBe(-1);
  });
});

describe('attributes', () => {
  it('pads each attribute to 4 bytes but records the unpadded length', () => {
    const a = encodeAttr(3, Buffer.from('br0\0'));
    expect(a.length).toBe(8);
    const s = encodeAttr(3, Buffer.from('eth1\0'));
    expect(s.length).toBe(12);
    expect(s.readUInt16LE(0)).toBe(9);
    expect(s.subarray(9)).toEqual(Buffer.alloc(3));
  });

  it('encodes a link request byte-for-byte like ip(8) (NLA_F_NESTED on LINKINFO)', () => {
    const b = encodeAttrs(linkAttrs, { ifname: 'br0', linkinfo: { kind: 'bridge' } });
    expect(b.toString('hex')).toBe('0800030062723000' + '10001280' + '0b000100' + '6272696467650000');
    expect(b.readUInt16LE(10) & NLA_F_NESTED).toBe(NLA_F_NESTED);
  });

  it('round-trips nested attributes, byte orders and address codecs', () => {
    const vx = encodeAttrs(vxlanAttrs, { id: 4096, port: 4789, local6: 'fd00::1', group: '239.1.1.1', learning: 0 });
    // The UDP port travels in network byte order.
    const port = [...iterAttrs(vx)].find(([t]) => t === 15)![1];
    expect(port.toString('hex')).toBe('12b5');
    const msg = encodeAttrs(linkAttrs, { ifname: 'vx0', mtu: 1450, address: '02:aa:bb:cc:dd:ee', linkinfo: { kind: 'vxlan', data: vx } });
    const back = decodeAttrs(linkAttrs, msg);
    expect(back.ifname).toBe('vx0');
    expect(back.mtu).toBe(1450);
    expect(back.address).toBe('02:aa:bb:cc:dd:ee');
    expect(back.linkinfo?.kind).toBe('vxlan');
    expect(decodeAttrs(vxlanAttrs, back.linkinfo!.data!)).toEqual({ id: 4096, port: 4789, local6: 'fd00::1', group: '239.1.1.1', learning: 0 });
  });

  it('repeats multi attributes and decodes them as an array, in order', () => {
    const b = encodeAttrs(bridgeAfSpecAttrs, { flags: 2, vlanInfo: [{ flags: 8, vid: 10 }, { flags: 16, vid: 20 }] });
    expect([...iterAttrs(b)].map(([t]) => t)).toEqual([0, 2, 2]);
    expect(decodeAttrs(bridgeAfSpecAttrs, b)).toEqual({ flags: 2, vlanInfo: [{ flags: 8, vid: 10 }, { flags: 16, vid: 20 }] });
  });

  it('carries a whole link description inside VETH_INFO_PEER', () => {
    const b = encodeAttrs(vethAttrs, { peer: { hdr: { family: 0 }, attrs: { ifname: 'peer0', netnsFd: 7 } } });
    const [[type, payload]] = [...iterAttrs(b)] as [number, Buffer][];
    expect(type).toBe(1);
    const { hdr, attrs } = decodeBody(ifinfomsg, linkAttrs, payload!);
    expect(hdr.index).toBe(0);
    expect(attrs).toEqual({ ifname: 'peer0', netnsFd: 7 });
  });

  it('skips unknown attribute ids and stops at a malformed tail', () => {
    const b = Buffer.concat([encodeAttr(999, Buffer.from([1, 2, 3, 4])), encodeAttr(4, Buffer.from([0xdc, 5, 0, 0])), Buffer.from([0xff, 0xff, 3, 0])]);
    expect(decodeAttrs(linkAttrs, b)).toEqual({ mtu: 1500 });
  });

  it('omits undefined values and false flags, rejects names not in the table', () => {
    const schema = { a: { id: 1, type: 'flag' }, b: { id: 2, type: 'u8' } } as const satisfies Schema;
    expect(encodeAttrs(schema, { a: false, b: undefined }).length).toBe(0);
    expect(encodeAttrs(schema, { a: true }).toString('hex')).toBe('04000100');
    expect(() => encodeAttrs(schema, { c: 1 } as never)).toThrow(/"c" is not in the table/);
  });

  it('round-trips arbitrary nested values (property)', () => {
    const inner = { n: { id: 1, type: 'u32' }, s: { id: 2, type: 'string' } } as const satisfies Schema;
    const outer = { x: { id: 1, type: 'u16' }, in: { id: 2, type: { nested: inner } }, raw: { id: 3, type: 'bytes' } } as const satisfies Schema;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'é', '0') }),
        fc.uint8Array({ maxLength: 13 }),
        (x, n, s, raw) => {
          const v = { x, in: { n, s }, raw: Buffer.from(raw) };
          const b = encodeAttrs(outer, v);
          expect(b.length % 4).toBe(0);
          expect(decodeAttrs(outer, b)).toEqual(v);
        },
      ),
    );
  });
});

describe('multipath', () => {
  it('packs rtnexthops with their own gateway attributes', () => {
    const hops = [{ gw: '10.0.0.1', dev: 3 }, { gw: '10.0.0.2', dev: 4, flags: 4 }];
    const b = multipathCodec.encode(hops);
    expect(b.length).toBe(2 * (8 + 8));
    expect(b.readUInt16LE(0)).toBe(16);
    expect(multipathCodec.decode(b)).toEqual(hops);
    const r = decodeAttrs(routeAttrs, encodeAttrs(routeAttrs, { table: 254, multipath: hops }));
    expect(r.multipath).toEqual(hops);
  });
});

describe('messages', () => {
  it('encodes nlmsghdr with total length, and splits a datagram of several messages', () => {
    const a = encodeMessage(RTM_NEWLINK, 0x5, 7, [encodeStruct(ifinfomsg, { index: 1 }), encodeAttrs(linkAttrs, { ifname: 'a' })]);
    expect(a.readUInt32LE(0)).toBe(16 + 16 + 8);
    const b = encodeMessage(3, 2, 8, [Buffer.alloc(4)]);
    const msgs = decodeMessages(Buffer.concat([a, b]));
    expect(msgs.map((m) => [m.type, m.flags, m.seq, m.payload.length])).toEqual([[RTM_NEWLINK, 5, 7, 24], [3, 2, 8, 4]]);
    expect(decodeBody(ifinfomsg, linkAttrs, msgs[0]!.payload).attrs.ifname).toBe('a');
    expect(align(5)).toBe(8);
  });

  it('rejects a message whose length runs past the datagram', () => {
    const a = encodeMessage(RTM_NEWLINK, 0, 1, [Buffer.alloc(16)]);
    a.writeUInt32LE(100, 0);
    expect(() => decodeMessages(a)).toThrow(/malformed/);
  });

  it('reads errno and the extended ack text from a capped NLMSG_ERROR', () => {
    const orig = encodeMessage(RTM_NEWLINK, 0x605, 9, []);
    const err = Buffer.alloc(4);
    err.writeInt32LE(-17);
    const tlv = encodeAttr(1, Buffer.from('File exists here\0'));
    const m = decodeMessages(encodeMessage(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, [err, orig.subarray(0, 16), tlv]))[0]!;
    expect(parseErrorPayload(m)).toEqual({ errno: 17, extAck: 'File exists here' });
  });

  it('skips the echoed request when the ack is not capped', () => {
    const orig = encodeMessage(RTM_NEWLINK, 0x605, 9, [Buffer.alloc(20, 0xee)]);
    const err = Buffer.alloc(4);
    err.writeInt32LE(-22);
    const tlv = encodeAttr(1, Buffer.from('bad\0'));
    const m = decodeMessages(encodeMessage(NLMSG_ERROR, NLM_F_ACK_TLVS, 9, [err, orig, tlv]))[0]!;
    expect(parseErrorPayload(m)).toEqual({ errno: 22, extAck: 'bad' });
    const ack = decodeMessages(encodeMessage(NLMSG_ERROR, NLM_F_CAPPED, 9, [Buffer.alloc(4), orig.subarray(0, 16)]))[0]!;
    expect(parseErrorPayload(ack)).toEqual({ errno: 0 });
  });
});
