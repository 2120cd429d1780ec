// vxlan GC (CNI 1.1): IPAM garbage collection through the bridge delegate, saved attachments
// that are no longer valid are forgotten, peers and firewall are reconciled, and with
// removeWhenIdle an overlay without attachments is removed. Errors are collected, not fatal.
import fs from 'node:fs';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Attachment } from '../../shared/cni/owner';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { reconcileEntries } from '../../shared/overlay/entries';
import { applyFirewall } from '../../shared/overlay/firewall';
import type { PeerSource } from '../../shared/overlay/peers';
import { listDelegates, withNetworkLock } from '../../shared/overlay/state';
import { bridgeGc } from '../../shared/bridge/gc';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from './delegate';
import { teardownIfIdle } from '../../shared/overlay/host';
import { planOn } from '../../shared/overlay/plan';

export async function cmdGc(ctx: Context<VxlanConf>, valid: Attachment[], peers: PeerSource): Promise<void> {
  const o = validateVxlanConf(ctx.conf);
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  const peerList = await peers.list().catch((e) => {
    errors.push(`peer list: ${(e as Error).message}`);
    return undefined;
  });
  await withNetworkLock(o.stateDir, o.name, async () => {
    await attempt('IPAM', () => bridgeGc(bridgeContext(ctx, renderBridgeConf(ctx, o, o.mtu)), valid));
    const keep = new Set(valid.map((a) => `${a.containerId}\0${a.ifname}`));
    for (const s of listDelegates(o.stateDir, o.name)) {
      if (s.containerId !== undefined && keep.has(`${s.containerId}\0${s.ifname}`)) continue;
      await attempt(`saved attachment ${s.file}`, () => fs.rmSync(s.file, { force: true }));
    }
    const nl = Netlink.open();
    try {
      if (o.removeWhenIdle && valid.length === 0) {
        await attempt('removing the idle overlay', () => teardownIfIdle(nl, { overlay: o }));
      } else if (peerList && nl.linkByName(o.device)) {
        await attempt('peer reconcile', () => {
          const plan = planOn(nl, o, ctx.conf.underlay, peerList);
          reconcileEntries(nl, nl.linkByName(o.device)!.index, plan.entries, plan.spec.group);
          applyFirewall(plan.firewall);
        });
      }
    } finally {
      nl.close();
    }
  });
  if (errors.length) throw new CniError(ErrorCode.Internal, `vxlan GC finished with errors: ${errors.join('; ')}`);
}
