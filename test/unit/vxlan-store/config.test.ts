// The "store" section and the keys it enables, through the vxlan config validation.
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { parseConfig } from '../../../shared/cni/netconf';
import { validateVxlanConf, vxlanSchema } from '../../../shared/overlay/config';

const store = { type: 'etcd', endpoints: ['http://10.0.0.5:2379'] };
const l3 = { cniVersion: '1.1.0', name: 'ovl', type: 'vxlan', mode: 'l3', vni: 42, network: '10.244.0.0/16', store };
const l2 = { cniVersion: '1.1.0', name: 'ovl', type: 'vxlan', mode: 'l2', vni: 42, network: '10.50.0.0/24', store, nodeBlockLen: 26 };
const validate = (c: object) => validateVxlanConf(parseConfig(vxlanSchema, c));

function refused(c: object, field: RegExp): void {
  let err: unknown;
  try {
    validate(c);
  } catch (e) {
    err = e;
  }
  expect(err, JSON.stringify(c)).toBeInstanceOf(CniError);
  expect((err as CniError).code).toBe(7);
  expect((err as CniError).message).toMatch(field);
}

describe('vxlan config with a store', () => {
  it('l3 without nodeSubnet: claimed from the store, /24 by default (/64 for IPv6)', () => {
    const o = validate(l3);
    expect(o.nodeSubnet).toBeUndefined();
    expect(o.subnetLen).toBe(24);
    expect(o.store).toMatchObject({ type: 'etcd', leaseTTL: 86400, timeoutMs: 5000 });
    expect(validate({ ...l3, network: 'fd00:244::/48' }).subnetLen).toBe(64);
    expect(validate({ ...l3, nodeSubnet: '10.244.7.0/25' }).subnetLen).toBe(25);
  });

  it('l2 without nodeRange claims a block of nodeBlockLen', () => {
    const o = validate(l2);
    expect(o.nodeRange).toBeUndefined();
    expect(o.nodeBlockLen).toBe(26);
    expect(validate({ ...l2, nodeBlockLen: undefined, nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.20' } }).nodeBlockLen).toBeUndefined();
  });

  it('refuses what makes no sense, naming the field', () => {
    const { store: _s, ...noStore } = l3;
    void _s;
    refused(noStore, /field "nodeSubnet": required in l3 mode without a "store"/);
    refused({ ...noStore, nodeSubnet: '10.244.1.0/24', subnetLen: 24 }, /field "subnetLen": only used with a "store"/);
    refused({ ...l3, subnetLen: 16 }, /field "subnetLen"/);
    refused({ ...l3, subnetLen: 33 }, /field "subnetLen"/);
    refused({ ...l3, nodeSubnet: '10.244.1.0/25', subnetLen: 24 }, /field "nodeSubnet": is a \/25/);
    refused({ ...l3, nodeBlockLen: 26 }, /field "nodeBlockLen"/);
    refused({ ...l2, nodeBlockLen: undefined }, /field "nodeBlockLen": required in l2 mode with a "store"/);
    refused({ ...l2, nodeBlockLen: 31 }, /field "nodeBlockLen"/);
    refused({ ...l2, nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.20' } }, /field "nodeBlockLen": this host's addresses are fixed/);
    refused({ ...l2, subnetLen: 26 }, /field "subnetLen"/);
  });

  it('store section: endpoints, TLS and limits', () => {
    refused({ ...l3, store: { ...store, type: 'consul' } }, /field "store.type"/);
    refused({ ...l3, store: { ...store, endpoints: [] } }, /field "store.endpoints"/);
    refused({ ...l3, store: { ...store, endpoints: ['10.0.0.5:2379'] } }, /field "store.endpoints\[0\]": must be a URL/);
    refused({ ...l3, store: { ...store, endpoints: ['https://a:2379', 'http://b:2379'] } }, /field "store.endpoints": mixes/);
    refused({ ...l3, store: { ...store, endpoints: ['https://a:2379'] } }, /field "store.tls": https endpoints need/);
    refused({ ...l3, store: { ...store, tls: { ca: '/ca.pem' } } }, /field "store.tls": TLS settings given, but the endpoints are http/);
    refused({ ...l3, store: { ...store, endpoints: ['https://a:2379'], tls: { ca: '/ca.pem', cert: '/c.pem' } } }, /field "store.tls": give "cert" and "key" together/);
    refused({ ...l3, store: { ...store, leaseTTL: 1 } }, /field "store.leaseTTL"/);
    refused({ ...l3, store: { ...store, prefix: 'no-slash' } }, /field "store.prefix"/);
    refused({ ...l3, store: { ...store, extra: 1 } }, /field "store"/);
    expect(validate({ ...l3, store: { ...store, endpoints: ['https://a:2379/'], tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' }, prefix: '/cni/vxlan/ovl' } }).store?.prefix).toBe('/cni/vxlan/ovl');
  });
});
