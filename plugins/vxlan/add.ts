// vxlan ADD: ensure the overlay on this host (device, peers, firewall), then attach the container
// through the bridge plugin with the overlay's MTU and this host's share of the addresses.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Result } from '../../shared/cni/result';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { subnetContainsIp } from '../../shared/overlay/addr';
import { parseIp } from '../../shared/cni/ip';
import type { PeerSource } from '../../shared/overlay/peers';
import { loadDelegate, removeDelegate, saveDelegate, withNetworkLock } from '../../shared/overlay/state';
import { bridgeAdd } from '../../shared/bridge/add';
import { bridgeDel } from '../../shared/bridge/del';
import { validateVxlanConf, type Overlay, type VxlanConf } from '../../shared/overlay/config';
import { bridgeContext, renderBridgeConf } from './delegate';
import { ensureOverlay, teardownIfIdle } from '../../shared/overlay/host';
import { planOn } from '../../shared/overlay/plan';

/** An address outside this host's share means another host may hand it out too. */
function outsideShare(o: Overlay, address: string): boolean {
  const ip = address.split('/')[0]!;
  if (o.mode === 'l3') return !subnetContainsIp(o.nodeSubnet!, ip);
  const r = o.nodeRange!.range;
  if (!subnetContainsIp(o.network, ip)) return true;
  const n = parseIp(ip)!.value;
  return n < r.first || n > r.last;
}

/** A failed ADD must not leave behind the overlay that removeWhenIdle promises to remove. */
function dropIfIdle(o: Overlay): void {
  if (!o.removeWhenIdle) return;
  const nl = Netlink.open();
  try {
    teardownIfIdle(nl, { overlay: o });
  } catch {
    /* the ADD's own error is what the caller needs to hear */
  } finally {
    nl.close();
  }
}

export async function cmdAdd(ctx: Context<VxlanConf>, peers: PeerSource): Promise<Result> {
  const o = validateVxlanConf(ctx.conf);
  const peerList = await peers.list();
  return withNetworkLock(o.stateDir, o.name, async () => {
    const nl = Netlink.open();
    let mtu: number;
    try {
      const plan = planOn(nl, o, ctx.conf.underlay, peerList);
      ensureOverlay(nl, plan);
      mtu = plan.mtu;
    } finally {
      nl.close();
    }
    const delegate = renderBridgeConf(ctx, o, mtu);
    // Saved first: if anything below dies half-way, DEL still knows what to undo. A repeated
    // ADD of a live attachment fails in bridge, and must not lose that attachment's record.
    const before = loadDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname);
    const forget = (): void =>
      before ? saveDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname, before) : removeDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname);
    saveDelegate(o.stateDir, o.name, ctx.env.containerId, ctx.env.ifname, delegate);
    const bctx = bridgeContext(ctx, delegate);
    let result: Result;
    try {
      result = await bridgeAdd(bctx);
    } catch (e) {
      forget();
      dropIfIdle(o);
      throw e;
    }
    const stray = (result.ips ?? []).find((i) => outsideShare(o, i.address));
    if (stray) {
      try {
        await bridgeDel(bctx);
      } catch {
        /* the address problem is what the caller needs to hear */
      }
      forget();
      dropIfIdle(o);
      throw new CniError(ErrorCode.InvalidNetworkConfig, `IPAM returned ${stray.address}, outside this host's ${o.mode === 'l3' ? 'nodeSubnet' : 'nodeRange'}: another host could hand out the same address`);
    }
    return result;
  });
}
