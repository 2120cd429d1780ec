import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { parseConfig } from '../../../shared/cni/netconf';
import { validateVxlanConf, vxlanSchema } from '../../../shared/overlay/config';

const l2 = {
  cniVersion: '1.1.0',
  name: 'ovl',
  type: 'vxlan',
  mode: 'l2',
  vni: 100,
  network: '10.50.0.0/24',
  nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.59' },
  peers: [
    { underlayIP: '192.0.2.11', nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.59' } },
    { underlayIP: '192.0.2.12', nodeRange: { rangeStart: '10.50.0.60', rangeEnd: '10.50.0.109' } },
  ],
};
const l3 = {
  cniVersion: '1.1.0',
  name: 'ovl',
  type: 'vxlan',
  mode: 'l3',
  vni: 42,
  network: '10.244.0.0/16',
  nodeSubnet: '10.244.1.0/24',
  peers: [{ underlayIP: '192.0.2.12', subnet: '10.244.2.0/24' }],
};

const validate = (c: object) => validateVxlanConf(parseConfig(vxlanSchema, c));
function problem(c: object): string {
  try {
    validate(c);
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    expect((e as CniError).code).toBe(7);
    return (e as CniError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('vxlan config defaults', () => {
  it('l2: port 4789, head-end flooding with learning, derived names, auto MAC, firewall on', () => {
    const o = validate(l2);
    expect(o).toMatchObject({ port: 4789, flood: 'headend', learning: true, device: 'vx-ovl', bridge: 'ovl0', vtepMac: 'auto', mtu: 0, restrictPort: true, allowForward: true, ipMasq: false, stateDir: '/var/lib/cni/vxlan', removeWhenIdle: false });
  });
  it('l3: learning off, no flooding', () => {
    expect(validate(l3)).toMatchObject({ learning: false, flood: undefined, nodeSubnet: { network: '10.244.1.0', prefix: 24 } });
  });
  it('long network names give ≤ 15-byte device and bridge names that differ per network', () => {
    const a = validate({ ...l3, name: 'a-rather-long-network-name-1' });
    const b = validate({ ...l3, name: 'a-rather-long-network-name-2' });
    for (const n of [a.device, a.bridge, b.device, b.bridge]) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(15);
    expect(a.device).not.toBe(b.device);
    expect(a.bridge).not.toBe(b.bridge);
  });
});

describe('vxlan config errors name the field', () => {
  const cases: [string, object, string][] = [
    ['mode', { ...l2, mode: 'l4' }, 'field "mode"'],
    ['vni 0', { ...l2, vni: 0 }, 'field "vni"'],
    ['vni 2^24', { ...l2, vni: 16777216 }, 'field "vni"'],
    ['port', { ...l2, port: 70000 }, 'field "port"'],
    ['network not aligned', { ...l2, network: '10.50.0.1/24' }, 'field "network"'],
    ['l2 without nodeRange', { ...l2, nodeRange: undefined }, 'field "nodeRange"'],
    ['nodeRange outside network', { ...l2, nodeRange: { rangeStart: '10.51.0.1', rangeEnd: '10.51.0.9' } }, 'field "nodeRange"'],
    ['nodeRange reversed', { ...l2, nodeRange: { rangeStart: '10.50.0.9', rangeEnd: '10.50.0.1' } }, 'field "nodeRange"'],
    ['overlapping peer ranges', { ...l2, peers: [{ underlayIP: '192.0.2.12', nodeRange: { rangeStart: '10.50.0.50', rangeEnd: '10.50.0.70' } }] }, 'field "peers[0].nodeRange": overlaps nodeRange'],
    ['two peers overlapping each other', { ...l2, peers: [{ underlayIP: '192.0.2.12', nodeRange: { rangeStart: '10.50.0.60', rangeEnd: '10.50.0.70' } }, { underlayIP: '192.0.2.13', nodeRange: { rangeStart: '10.50.0.65', rangeEnd: '10.50.0.80' } }] }, 'field "peers[1].nodeRange": overlaps peers[0].nodeRange'],
    ['l2 peer with subnet', { ...l2, peers: [{ underlayIP: '192.0.2.12', subnet: '10.50.0.0/25' }] }, 'field "peers[0].subnet"'],
    ['duplicate peer', { ...l3, peers: [l3.peers[0], l3.peers[0]] }, 'field "peers[1].underlayIP"'],
    ['multicast without group', { ...l2, flood: 'multicast' }, 'field "group"'],
    ['group not multicast', { ...l2, flood: 'multicast', group: '10.0.0.1' }, 'field "group"'],
    ['group with headend', { ...l2, group: '239.1.1.1' }, 'field "group"'],
    ['l3 without nodeSubnet', { ...l3, nodeSubnet: undefined }, 'field "nodeSubnet"'],
    ['l3 nodeSubnet outside', { ...l3, nodeSubnet: '10.9.0.0/24' }, 'field "nodeSubnet"'],
    ['l3 nodeSubnet = network', { ...l3, nodeSubnet: '10.244.0.0/16' }, 'field "nodeSubnet"'],
    ['l3 peer without subnet', { ...l3, peers: [{ underlayIP: '192.0.2.12' }] }, 'field "peers[0].subnet"'],
    ['l3 flood', { ...l3, flood: 'headend' }, 'field "flood"'],
    ['bad vtepMac', { ...l3, vtepMac: '02:00' }, 'field "vtepMac"'],
    ['bad peer MAC', { ...l3, peers: [{ ...l3.peers[0], vtepMac: 'zz' }] }, 'field "peers[0].vtepMac"'],
    ['device too long', { ...l3, device: 'sixteen-chars-xx' }, 'field "device"'],
    ['mtu too small', { ...l3, mtu: 20 }, 'field "mtu"'],
    ['unknown firewall key', { ...l3, firewall: { restrict: true } }, 'field "firewall"'],
    ['delegate.ipam', { ...l3, delegate: { ipam: {} } }, 'field "delegate.ipam"'],
    ['delegate.type', { ...l3, delegate: { type: 'macvlan' } }, 'field "delegate.type"'],
    ['ipam.subnet', { ...l3, ipam: { type: 'host-local', subnet: '10.244.1.0/24' } }, 'field "ipam.subnet"'],
  ];
  for (const [what, conf, msg] of cases) {
    it(what, () => expect(problem(conf)).toContain(msg));
  }
  it('delegate may set bridge options and type bridge', () => {
    expect(() => validate({ ...l3, delegate: { type: 'bridge', hairpinMode: true } })).not.toThrow();
  });
});
