import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteAllNetns, leakedNetns, sh } from '../../helpers/netns';
import { clearLinks, expectNlError, ipLink, makeNs, type Ns } from './fixture';

let host: Ns;
let vlanFilteringBuiltIn: boolean;

beforeAll(() => {
  host = makeNs();
  // Some kernels are built without CONFIG_BRIDGE_VLAN_FILTERING: ask ip(8) what this one says.
  const r = sh(['ip', '-n', host.name, 'link', 'add', 'probe0', 'type', 'bridge', 'vlan_filtering', '1'], { allowFail: true });
  vlanFilteringBuiltIn = host.ip(['link']).some((l: any) => l.ifname === 'probe0');
  void r;
  clearLinks(host);
});
afterAll(() => {
  host?.close();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
afterEach(() => clearLinks(host));

function bridgeWithPort(vlanFiltering = false): { br: number; port: number } {
  host.nl.linkAdd({ name: 'br0', kind: 'bridge', ...(vlanFiltering && { bridge: { vlanFiltering: true } }) });
  const br = host.nl.linkByName('br0')!.index;
  host.nl.linkAdd({ name: 'port0', kind: 'veth', master: br, veth: { peerName: 'port0p' } });
  return { br, port: host.nl.linkByName('port0')!.index };
}

describe('bridge ports', () => {
  it('sets hairpin, isolated, learning and neigh_suppress (IFLA_PROTINFO)', () => {
    const { port } = bridgeWithPort();
    host.nl.bridgePortSet(port, { hairpin: true, isolated: true, learning: false, neighSuppress: true });
    expect(host.nl.linkByIndex(port)!.brport).toMatchObject({ hairpin: true, isolated: true, learning: false, neighSuppress: true });
    const sd = ipLink(host, 'port0').linkinfo.info_slave_data;
    expect(sd).toMatchObject({ hairpin: true, isolated: true, learning: false, neigh_suppress: true });
    // Only the flags given change.
    host.nl.bridgePortSet(port, { hairpin: false });
    expect(ipLink(host, 'port0').linkinfo.info_slave_data).toMatchObject({ hairpin: false, isolated: true, learning: false });
  });

  it('fails on a link that is not a bridge port', () => {
    host.nl.linkAdd({ name: 'lone', kind: 'veth', veth: { peerName: 'lonep' } });
    const e = expectNlError(() => host.nl.bridgePortSet(host.nl.linkByName('lone')!.index, { hairpin: true }), 'EOPNOTSUPP');
    expect(e.message).toContain('bridge port set');
  });
});

describe('bridge vlans', () => {
  it('vlan filtering and port vlans work, or fail with EOPNOTSUPP exactly like ip(8) on this kernel', () => {
    if (!vlanFilteringBuiltIn) {
      host.nl.linkAdd({ name: 'br0', kind: 'bridge' });
      const br = host.nl.linkByName('br0')!.index;
      expectNlError(() => host.nl.bridgeSetVlanFiltering(br, true), 'EOPNOTSUPP');
      expectNlError(() => host.nl.linkAdd({ name: 'br1', kind: 'bridge', bridge: { vlanFiltering: true } }), 'EOPNOTSUPP');
      expect(host.nl.linkByName('br1')).toBeUndefined();
      host.nl.linkAdd({ name: 'port0', kind: 'veth', master: br, veth: { peerName: 'port0p' } });
      expectNlError(() => host.nl.bridgeVlanAdd(host.nl.linkByName('port0')!.index, 10), 'EOPNOTSUPP');
      expect(host.nl.bridgeVlanList(br)).toEqual([]);
      return;
    }
    const { br, port } = bridgeWithPort(true);
    expect(host.nl.linkByIndex(br)!.bridge?.vlanFiltering).toBe(true);
    host.nl.bridgeVlanAdd(port, 10, { pvid: true, untagged: true });
    host.nl.bridgeVlanAdd(port, 20, { vidEnd: 22 });
    host.nl.bridgeVlanAdd(br, 10, { self: true });
    const vl = host.nl.bridgeVlanList(port);
    expect(vl).toEqual(expect.arrayContaining([{ vid: 10, pvid: true, untagged: true }, { vid: 21, pvid: false, untagged: false }]));
    const shown = JSON.stringify(host.bridge(['vlan', 'show', 'dev', 'port0']));
    expect(shown).toContain('"vlan":10');
    host.nl.bridgeVlanDel(port, 20, { vidEnd: 22 });
    expect(host.nl.bridgeVlanList(port).map((v) => v.vid)).not.toContain(21);
    host.nl.bridgeSetVlanFiltering(br, false);
    expect(ipLink(host, 'br0').linkinfo.info_data.vlan_filtering).toBe(0);
  });

  it('rejects invalid vlan ids before asking the kernel', () => {
    const { port } = bridgeWithPort();
    expectNlError(() => host.nl.bridgeVlanAdd(port, 0), 'EINVAL');
    expectNlError(() => host.nl.bridgeVlanAdd(port, 4095), 'EINVAL');
    expectNlError(() => host.nl.bridgeVlanAdd(port, 20, { vidEnd: 10 }), 'EINVAL');
  });
});
