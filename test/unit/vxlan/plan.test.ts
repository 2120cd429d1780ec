import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/cni/netconf';
import type { Context } from '../../../shared/cni/skel';
import type { Link } from '../../../shared/netlink';
import { deriveVtepMac } from '../../../shared/overlay/vtep-mac';
import { validateVxlanConf, vxlanSchema, type VxlanConf } from '../../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from '../../../plugins/vxlan/delegate';
import { makePlan } from '../../../shared/overlay/plan';

const l3 = {
  cniVersion: '1.0.0',
  name: 'ovl',
  type: 'vxlan',
  mode: 'l3',
  vni: 42,
  network: '10.244.0.0/16',
  nodeSubnet: '10.244.1.0/24',
  peers: [
    { name: 'a', underlayIP: '192.0.2.11', subnet: '10.244.1.0/24' },
    { name: 'b', underlayIP: '192.0.2.12', subnet: '10.244.2.0/24' },
  ],
};
const underlay = (mtu = 1500) => ({ link: { index: 7, name: 'eth0', mtu } as Link, address: '192.0.2.11', family: 4 as const });

function ctxOf(json: Record<string, unknown>): Context<VxlanConf> {
  const conf = parseConfig(vxlanSchema, json);
  return {
    env: { command: 'ADD', containerId: 'c1', netns: '/var/run/netns/x', ifname: 'eth0', args: '', path: ['/opt/cni/bin'] } as never,
    conf,
    raw: Buffer.from(JSON.stringify(json)),
    json,
    cniVersion: String(json.cniVersion),
    cniArgs: new Map(),
  };
}

describe('plan', () => {
  it('skips its own peer entry, derives MTU and MACs, one route per other host', () => {
    const o = validateVxlanConf(parseConfig(vxlanSchema, l3));
    const p = makePlan(o, underlay(), o.peers);
    expect(p.mtu).toBe(1450);
    expect(p.spec).toMatchObject({ name: 'vx-ovl', vni: 42, port: 4789, local: '192.0.2.11', underlayIndex: 7, learning: false, mtu: 1450, mac: deriveVtepMac('ovl', '192.0.2.11') });
    expect(p.peers.map((x) => x.underlayIP)).toEqual(['192.0.2.12']);
    expect(p.peers[0]!.mac).toBe(deriveVtepMac('ovl', '192.0.2.12'));
    expect(p.entries.routes).toEqual([{ dst: '10.244.2.0/24', gw: '10.244.2.0' }]);
    expect(p.deviceAddr).toBe('10.244.1.0/32');
    expect(p.firewall.peers).toEqual([{ ip: '192.0.2.12', name: 'b' }]);
  });
  it('an explicit MTU above underlay − 50 is refused; jumbo underlays allow more', () => {
    const o = validateVxlanConf(parseConfig(vxlanSchema, { ...l3, mtu: 1460 }));
    expect(() => makePlan(o, underlay(), o.peers)).toThrow(/field "mtu"/);
    expect(makePlan(o, underlay(9000), o.peers).mtu).toBe(1460);
  });
});

describe('bridge delegate config', () => {
  it('l3: gateway bridge, node subnet range, route to the whole network, user keys merged', () => {
    const ctx = ctxOf({ ...l3, ipam: { type: 'host-local', dataDir: '/tmp/x', routes: [{ dst: '0.0.0.0/0' }] }, delegate: { hairpinMode: true }, runtimeConfig: { ipRanges: [[{ subnet: '10.0.0.0/8' }]], mac: '02:11:22:33:44:55' } });
    const o = validateVxlanConf(ctx.conf);
    const d = renderBridgeConf(ctx, o, 1450);
    expect(d).toEqual({
      cniVersion: '1.0.0',
      name: 'ovl',
      type: 'bridge',
      bridge: 'ovl0',
      mtu: 1450,
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: { type: 'host-local', dataDir: '/tmp/x', ranges: [[{ subnet: '10.244.1.0/24' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '10.244.0.0/16' }] },
    });
    const b = bridgeContext(ctx, d);
    expect(b.conf).toMatchObject({ bridge: 'ovl0', mtu: 1450, isGateway: true, hairpinMode: true });
    // The runtime cannot widen this host's share through ipRanges; other runtime keys pass.
    expect(b.json.runtimeConfig).toEqual({ mac: '02:11:22:33:44:55' });
    expect(JSON.parse(b.raw.toString())).toEqual(b.json);
  });
  it('l2: no gateway unless the delegate asks, range limited to nodeRange', () => {
    const ctx = ctxOf({ ...l3, mode: 'l2', nodeSubnet: undefined, network: '10.50.0.0/24', nodeRange: { rangeStart: '10.50.0.10', rangeEnd: '10.50.0.59' }, peers: [] });
    const d = renderBridgeConf(ctx, validateVxlanConf(ctx.conf), 1450);
    expect(d.isGateway).toBe(false);
    expect(d.ipam).toEqual({ type: 'host-local', ranges: [[{ subnet: '10.50.0.0/24', rangeStart: '10.50.0.10', rangeEnd: '10.50.0.59' }]] });
  });
});
