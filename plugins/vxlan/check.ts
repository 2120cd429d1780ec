// vxlan CHECK: a sync point first (peer entries and the firewall's peer set follow the current
// peer list), then every promise ADD made must still hold: device attributes, MTUs on the device
// and both veth ends, bridge membership, forwarding, peer entries, firewall, and bridge's own CHECK.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';
import { deviceDrift } from '../../shared/overlay/device';
import { reconcileEntries } from '../../shared/overlay/entries';
import { applyFirewall, firewallDrift } from '../../shared/overlay/firewall';
import type { PeerSource } from '../../shared/overlay/peers';
import { loadDelegate, withNetworkLock } from '../../shared/overlay/state';
import { bridgeCheck } from '../../shared/bridge/check';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from './delegate';
import { overlayDrift } from '../../shared/overlay/host';
import { planOn } from '../../shared/overlay/plan';

const fail = (problems: string[]): never => {
  throw new CniError(ErrorCode.Internal, `vxlan CHECK failed: ${problems.join('; ')}`);
};

export async function cmdCheck(ctx: Context<VxlanConf>, peers: PeerSource): Promise<void> {
  const o = validateVxlanConf(ctx.conf);
  const peerList = await peers.list();
  await withNetworkLock(o.stateDir, o.name, async () => {
    const nl = Netlink.open();
    let mtu: number;
    try {
      const plan = planOn(nl, o, ctx.conf.underlay, peerList);
      mtu = plan.mtu;
      const dev = nl.linkByName(o.device);
      const devProblems = deviceDrift(dev, plan.spec);
      if (devProblems.length) fail(devProblems);

      // Structural firewall problems are drift; a changed peer list is an update.
      const fw = firewallDrift(plan.firewall).filter((f) => f.kind === 'structure');
      if (fw.length) fail(fw.map((f) => f.problem));
      reconcileEntries(nl, dev!.index, plan.entries, plan.spec.group);
      applyFirewall(plan.firewall);

      const problems = [...overlayDrift(nl, plan, dev!), ...firewallDrift(plan.firewall).map((f) => f.problem)];
      const prev = ctx.prevResult;
      const hostVeth = prev?.interfaces?.find((i) => !i.sandbox && i.name !== o.bridge);
      if (hostVeth) {
        const l = nl.linkByName(hostVeth.name);
        if (l && l.mtu !== mtu) problems.push(`host veth ${l.name} mtu is ${l.mtu}, expected ${mtu}`);
      }
      const ctrMtu = inSandbox(ctx.env.netns, () => {
        const c = Netlink.open();
        try {
          return c.linkByName(ctx.env.ifname)?.mtu;
        } finally {
          c.close();
        }
      });
      if (ctrMtu !== undefined && ctrMtu !== mtu) problems.push(`container interface ${ctx.env.ifname} mtu is ${ctrMtu}, expected ${mtu}`);
      if (problems.length) fail(problems);
    } finally {
      nl.close();
    }
    const delegate = loadDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname) ?? renderBridgeConf(ctx, o, mtu);
    await bridgeCheck(bridgeContext(ctx, delegate));
  });
}
