// What a list says about the state it owns (subnets, bridges, store and dnsname dirs, the created
// mark), and that the created mark never bothers a plugin: libcni does not forward top-level list
// keys, and every plugin's schema would accept an unknown key anyway.
import { describe, expect, it } from 'vitest';
import { bridge } from '../../../plugins/bridge/index';
import { dnsname } from '../../../plugins/dnsname/index';
import { firewall } from '../../../plugins/firewall';
import { hostLocal } from '../../../plugins/host-local/index';
import { loopback } from '../../../plugins/loopback/index';
import { macvlan } from '../../../plugins/macvlan/index';
import { portmap } from '../../../plugins/portmap';
import { tuning } from '../../../plugins/tuning/index';
import { vxlan } from '../../../plugins/vxlan/index';
import { networkListFromBytes } from '../../../shared/runtime/conf-loader';
import { buildPluginConfig } from '../../../shared/runtime/list-ops';
import { CREATED_MARK, bridgeNames, dnsnameStateDirs, hostLocalStoreDirs, isCreatedNetwork, networkSubnets, vxlanDevices } from '../../../shared/runtime/network-state';

const list = (o: object) => networkListFromBytes(Buffer.from(JSON.stringify(o)));

describe('network-state', () => {
  const created = list({
    cniVersion: '1.1.0',
    name: 'web',
    [CREATED_MARK]: true,
    plugins: [
      { type: 'bridge', bridge: 'cni-web', ipam: { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00::/64' }]], dataDir: '/d/networks' } },
      { type: 'dnsname', stateDir: '/d/dns' },
      { type: 'dnsname' },
    ],
  });

  it('reads subnets, bridges, store and dnsname dirs', () => {
    expect(networkSubnets(created)).toEqual(['10.1.0.0/24', 'fd00::/64']);
    expect(bridgeNames(created)).toEqual(['cni-web']);
    expect(hostLocalStoreDirs(created)).toEqual(['/d/networks/web']);
    expect(dnsnameStateDirs(created, { TSCNI_DNSNAME_STATE_DIR: '/env/dns' })).toEqual(['/d/dns/web', '/env/dns/web']);
    expect(dnsnameStateDirs(list({ name: 'x', plugins: [{ type: 'dnsname' }] }), {})).toEqual(['/run/containers/cni/dnsname/x']);
    const ov = list({ cniVersion: '1.1.0', name: 'ov', plugins: [{ type: 'vxlan', network: '10.50.0.0/24', ipam: { type: 'host-local' } }] });
    expect(networkSubnets(ov)).toEqual(['10.50.0.0/24']);
    expect(bridgeNames(ov)).toEqual(['ov0']);
    expect(vxlanDevices(ov)).toEqual(['vx-ov']);
    expect(hostLocalStoreDirs(ov)).toEqual(['/var/lib/cni/networks/ov']);
    expect(bridgeNames(list({ name: 'd', plugins: [{ type: 'bridge' }] }))).toEqual(['cni0']);
  });

  it('only a literal true marks a created network', () => {
    expect(isCreatedNetwork(created)).toBe(true);
    expect(isCreatedNetwork(list({ name: 'a', [CREATED_MARK]: 'yes', plugins: [{ type: 'bridge' }] }))).toBe(false);
    expect(isCreatedNetwork(list({ name: 'a', plugins: [{ type: 'bridge' }] }))).toBe(false);
  });

  it('the mark never reaches a plugin', () => {
    const stdin = JSON.parse(buildPluginConfig(created, created.plugins[0]!, undefined, undefined).toString());
    expect(stdin[CREATED_MARK]).toBeUndefined();
  });

  it('every plugin schema accepts an unknown top-level key', () => {
    const base = { cniVersion: '1.1.0', name: 'n', [CREATED_MARK]: true };
    const confs: Array<[{ schema: { safeParse(v: unknown): { success: boolean } } }, object]> = [
      [bridge, { type: 'bridge' }],
      [hostLocal, { type: 'host-local' }],
      [loopback, { type: 'loopback' }],
      [macvlan, { type: 'macvlan', master: 'eth0' }],
      [tuning, { type: 'tuning' }],
      [vxlan, { type: 'vxlan', mode: 'l2', vni: 1, network: '10.0.0.0/24' }],
      [dnsname, { type: 'dnsname' }],
      [firewall, { type: 'firewall' }],
      [portmap, { type: 'portmap' }],
    ];
    for (const [p, c] of confs) expect(p.schema.safeParse({ ...base, ...c }).success, JSON.stringify(c)).toBe(true);
  });
});
