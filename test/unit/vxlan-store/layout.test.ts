// Store records: what a host registers, what the others accept as a peer, what must agree.
import { describe, expect, it } from 'vitest';
import { claimsDir, networkMismatch, nodeKey, nodeToPeer, parseClaim, parseNodeRecord, type NetworkRecord } from '../../../shared/overlay/store/layout';

describe('store layout', () => {
  it('keys', () => {
    expect(nodeKey('172.31.0.1')).toBe('nodes/172.31.0.1');
    expect(nodeKey('fd31:0::1')).toBe('nodes/fd31::1');
    expect(claimsDir('subnet')).toBe('subnets/');
    expect(claimsDir('block')).toBe('blocks/');
  });

  it('node records: valid ones become peers, garbage is ignored', () => {
    const rec = { underlayIP: '172.31.0.2', vtepMac: '02:aa:bb:cc:dd:ee', mtu: 1450, subnet: '10.244.5.0/24', hostname: 'h2' };
    expect(parseNodeRecord(JSON.stringify(rec))).toEqual(rec);
    expect(nodeToPeer(rec)).toEqual({ name: 'h2 (172.31.0.2)', underlayIP: '172.31.0.2', vtepMac: '02:aa:bb:cc:dd:ee', subnet: '10.244.5.0/24' });
    const l2 = { underlayIP: '172.31.0.3', vtepMac: '02:aa:bb:cc:dd:ef', mtu: 1450, block: '10.50.0.64/26', nodeRange: { rangeStart: '10.50.0.64', rangeEnd: '10.50.0.127' } };
    expect(nodeToPeer(parseNodeRecord(JSON.stringify(l2))!)).toEqual({ name: '172.31.0.3', underlayIP: '172.31.0.3', vtepMac: '02:aa:bb:cc:dd:ef', nodeRange: l2.nodeRange });
    for (const bad of ['not json', '{}', JSON.stringify({ ...rec, underlayIP: 'x' }), JSON.stringify({ ...rec, vtepMac: 'zz' }), JSON.stringify({ ...rec, subnet: '10.244.5.1/24' })]) {
      expect(parseNodeRecord(bad), bad).toBeUndefined();
    }
  });

  it('claims name their owner', () => {
    expect(parseClaim('{"node":"172.31.0.1"}')).toEqual({ node: '172.31.0.1' });
    expect(parseClaim('{"owner":1}')).toBeUndefined();
    expect(parseClaim('')).toBeUndefined();
  });

  it('a network record mismatch names each differing field', () => {
    const mine: NetworkRecord = { mode: 'l3', vni: 42, port: 4789, mtu: 1450, network: '10.244.0.0/16', subnetLen: 24 };
    expect(networkMismatch(mine, { ...mine })).toEqual([]);
    expect(networkMismatch(mine, { ...mine, vni: 43, mtu: 1400 }).map((d) => d.field)).toEqual(['vni', 'mtu']);
    expect(networkMismatch(mine, { mode: 'l2', vni: 42, port: 8472, mtu: 1450, network: '10.244.0.0/16', nodeBlockLen: 26 }).map((d) => d.field)).toEqual(['mode', 'port', 'subnetLen', 'nodeBlockLen']);
  });
});
