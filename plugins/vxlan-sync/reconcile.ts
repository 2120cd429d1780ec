// One reconcile of the kernel against a peer set, the same steps a CNI sync point takes: the
// per-peer entries on our vxlan device and the firewall's peer set. Nothing happens while the
// device does not exist (the first ADD creates it). Synchronous netlink, under the network lock
// that ADD/DEL take, so the agent and a CNI call never interleave on one host.
import { Netlink } from '../../shared/netlink';
import { describeEntries, reconcileEntries } from '../../shared/overlay/entries';
import { applyFirewall } from '../../shared/overlay/firewall';
import type { Peer } from '../../shared/overlay/peers';
import { withNetworkLock } from '../../shared/overlay/state';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { planOn } from '../../shared/overlay/plan';

export interface ReconcileOutcome {
  device: boolean;
  added: string[];
  removed: string[];
}

export async function reconcileKernel(conf: VxlanConf, peers: Peer[]): Promise<ReconcileOutcome> {
  const o = validateVxlanConf(conf);
  return withNetworkLock(o.stateDir, o.name, async () => {
    const nl = Netlink.open();
    try {
      const dev = nl.linkByName(o.device);
      if (!dev) return { device: false, added: [], removed: [] };
      const plan = planOn(nl, o, conf.underlay, peers);
      const diff = reconcileEntries(nl, dev.index, plan.entries, plan.spec.group);
      applyFirewall(plan.firewall);
      return { device: true, added: describeEntries(diff.missing), removed: describeEntries(diff.stale) };
    } finally {
      nl.close();
    }
  });
}
