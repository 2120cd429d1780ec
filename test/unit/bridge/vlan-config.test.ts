// bridge vlan settings without a kernel: defaults, refusals, and what a port gets (a fake netlink
// records the calls; the real path needs CONFIG_BRIDGE_VLAN_FILTERING, see test/e2e/bridge).
import { describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../shared/cni/error';
import { bridgeSchema, validateBridgeConf } from '../../../shared/bridge/config';
import { applyPortVlans, type VlanOps } from '../../../shared/bridge/vlan';

const parse = (extra: Record<string, unknown>) => bridgeSchema.parse({ cniVersion: '1.1.0', name: 'n', type: 'bridge', ...extra });

function refusal(extra: Record<string, unknown>): CniError {
  try {
    validateBridgeConf(parse(extra));
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('not refused');
}

/** A port that starts with the kernel's default membership: VLAN 1, PVID, untagged. */
function fakePort(): { ops: VlanOps; vlans: Map<number, { pvid?: boolean; untagged?: boolean }> } {
  const vlans = new Map<number, { pvid?: boolean; untagged?: boolean }>([[1, { pvid: true, untagged: true }]]);
  const ops: VlanOps = {
    bridgeVlanList: () => [...vlans.keys()].map((vid) => ({ vid, ...vlans.get(vid) }) as any),
    bridgeVlanDel: (_i, vid) => void vlans.delete(vid),
    bridgeVlanAdd: (_i, vid, o = {}) => {
      if (o.pvid) for (const v of vlans.values()) v.pvid = false;
      for (let id = vid; id <= (o.vidEnd ?? vid); id++) vlans.set(id, { pvid: !!o.pvid, untagged: !!o.untagged });
    },
  };
  return { ops, vlans };
}

describe('bridge vlan configuration', () => {
  it('preserveDefaultVlan defaults to true, as the reference before 1.8 (and 1.1.1, which never removed VLAN 1)', () => {
    expect(parse({ vlan: 100 }).preserveDefaultVlan).toBe(true);
    expect(parse({ vlan: 100, preserveDefaultVlan: false }).preserveDefaultVlan).toBe(false);
  });

  it('vlan together with vlanTrunk is refused with code 7 naming both fields', () => {
    const e = refusal({ vlan: 100, vlanTrunk: [{ id: 200 }] });
    expect(e.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(e.message).toMatch(/"vlan"/);
    expect(e.message).toMatch(/"vlanTrunk"/);
  });

  it('each alone is accepted; out-of-range ids name the field', () => {
    expect(validateBridgeConf(parse({ vlan: 100 })).trunk).toEqual([]);
    expect(validateBridgeConf(parse({ vlanTrunk: [{ id: 5 }, { minID: 10, maxID: 12 }] })).trunk).toEqual([{ min: 5, max: 5 }, { min: 10, max: 12 }]);
    expect(refusal({ vlan: 4095 }).message).toMatch(/field "vlan"/);
    expect(refusal({ vlanTrunk: [{ id: 0 }] }).message).toMatch(/vlanTrunk\[0\]\.id/);
  });
});

describe('bridge port vlans (fake netlink)', () => {
  it('default: the access vlan becomes the PVID and VLAN 1 stays on the port', () => {
    const { ops, vlans } = fakePort();
    applyPortVlans(ops, 7, { vlan: 100, trunk: [], preserveDefaultVlan: true });
    expect(Object.fromEntries(vlans)).toEqual({ 1: { pvid: false, untagged: true }, 100: { pvid: true, untagged: true } });
  });

  it('preserveDefaultVlan false: VLAN 1 is removed, only the access vlan is left', () => {
    const { ops, vlans } = fakePort();
    applyPortVlans(ops, 7, { vlan: 100, trunk: [], preserveDefaultVlan: false });
    expect(Object.fromEntries(vlans)).toEqual({ 100: { pvid: true, untagged: true } });
  });

  it('a trunk keeps VLAN 1 as its native vlan and adds the tagged ranges', () => {
    const { ops, vlans } = fakePort();
    applyPortVlans(ops, 7, { vlan: 0, trunk: [{ min: 10, max: 11 }], preserveDefaultVlan: false });
    expect(Object.fromEntries(vlans)).toEqual({ 1: { pvid: true, untagged: true }, 10: { pvid: false, untagged: false }, 11: { pvid: false, untagged: false } });
  });

  it('no vlan settings: the port is left alone', () => {
    const { ops, vlans } = fakePort();
    applyPortVlans(ops, 7, { vlan: 0, trunk: [], preserveDefaultVlan: false });
    expect(Object.fromEntries(vlans)).toEqual({ 1: { pvid: true, untagged: true } });
  });
});
