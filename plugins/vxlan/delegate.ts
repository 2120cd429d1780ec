// The container attachment is the bridge plugin's (shared/bridge/), run in this process: this
// module renders its config the way flannel's CNI plugin does (mtu, gateway flags and an IPAM
// range limited to this host's share of the network, then the user's "delegate" keys on top)
// and builds the Context the bridge verbs expect.
import { parseConfig } from '../../shared/cni/netconf';
import type { Context } from '../../shared/cni/skel';
import { subnetText } from '../../shared/overlay/addr';
import { bridgeSchema, type BridgeConf } from '../../shared/bridge/config';
import type { Overlay, VxlanConf } from '../../shared/overlay/config';

export type DelegateConf = Record<string, unknown>;

function ipamFor(ctx: Context<VxlanConf>, o: Overlay): Record<string, unknown> {
  const user = { type: 'host-local', ...(ctx.conf.ipam ?? {}) } as Record<string, unknown>;
  if (user.type !== 'host-local') return user; // another IPAM decides for itself (e.g. cluster-wide)
  if (o.mode === 'l3') {
    const network = subnetText(o.network);
    const routes = Array.isArray(user.routes) ? [...(user.routes as Record<string, unknown>[])] : [];
    // Other hosts' subnets are reached through this host's bridge (the gateway).
    if (!routes.some((r) => r.dst === network)) routes.push({ dst: network });
    return { ...user, ranges: [[{ subnet: subnetText(o.nodeSubnet!) }]], routes };
  }
  return { ...user, ranges: [[{ subnet: subnetText(o.network), rangeStart: o.nodeRange!.rangeStart, rangeEnd: o.nodeRange!.rangeEnd }]] };
}

/** The bridge config for one attachment; saved at ADD so DEL undoes exactly that. */
export function renderBridgeConf(ctx: Context<VxlanConf>, o: Overlay, mtu: number): DelegateConf {
  const conf: DelegateConf = {
    cniVersion: ctx.cniVersion,
    name: o.name,
    type: 'bridge',
    bridge: o.bridge,
    mtu,
    // l3: the bridge is each host's gateway. l2: one segment spans the hosts, and the same
    // gateway address on every host's bridge would answer ARP from all of them.
    isGateway: o.mode === 'l3',
    // Masquerade lives in the overlay's own table: bridge's rule would also hide container
    // addresses from the other hosts of the network (it only exempts this host's subnet).
    ipMasq: false,
    ipam: ipamFor(ctx, o),
    ...(ctx.conf.dns && { dns: ctx.conf.dns }),
    ...ctx.conf.delegate,
  };
  return conf;
}

/** The Context a bridge verb runs with: the rendered config plus this call's runtime keys. */
export function bridgeContext(ctx: Context<VxlanConf>, delegate: DelegateConf): Context<BridgeConf> {
  const json: Record<string, unknown> = { ...delegate };
  const rc = ctx.json.runtimeConfig as Record<string, unknown> | undefined;
  if (rc && typeof rc === 'object') {
    // ipRanges would let the runtime hand out addresses outside this host's share.
    const { ipRanges: _drop, ...rest } = rc;
    void _drop;
    if (Object.keys(rest).length) json.runtimeConfig = rest;
  }
  for (const k of ['args', 'prevResult', 'cni.dev/valid-attachments', 'cni.dev/attachments']) {
    if (ctx.json[k] !== undefined) json[k] = ctx.json[k];
  }
  const conf = parseConfig(bridgeSchema, json, 'bridge delegate config (from "delegate")');
  return { ...ctx, conf, json, raw: Buffer.from(JSON.stringify(json)) };
}
