// macvlan ADD: a macvlan of the master in the container, addresses from IPAM (optional: without
// IPAM the interface is only brought up, an L2 attachment). Every step registers its undo, so
// a failure leaves neither a link nor a lease behind.
import fs from 'node:fs';
import { finishResult, type Result } from '../../shared/cni/result';
import type { Context } from '../../shared/cni/skel';
import { allocateFor } from '../../shared/ipam/delegate';
import { configureIface } from '../../shared/link/iface';
import { Netlink } from '../../shared/netlink';
import { withNetnsFd } from '../../shared/netns/netns';
import { openSandbox } from '../../shared/netns/sandbox';
import { Rollback } from '../../shared/cni/rollback';
import { enableNdiscNotify } from '../../shared/sys/sysctl';
import { containerMac, validateMacvlanConf, type MacvlanConf } from '../../shared/conf/macvlan';
import { createMacvlan } from './link';
import { checkMtu, findMaster } from './master';

export async function cmdAdd(ctx: Context<MacvlanConf>): Promise<Result> {
  const c = ctx.conf;
  validateMacvlanConf(c);
  const mac = containerMac(c, ctx.cniArgs);
  const { ifname, netns } = ctx.env;

  const nsFd = openSandbox(netns);
  const ctrNl = withNetnsFd(nsFd, () => Netlink.open());
  const hostNl = c.linkInContainer ? undefined : Netlink.open();
  const undos = new Rollback();
  try {
    const masterNl = hostNl ?? ctrNl;
    const master = findMaster(masterNl, c.master, c.linkInContainer ? 'container' : 'host');
    checkMtu(c.mtu, master);
    const link = createMacvlan(masterNl, ctrNl, { ifname, master, mode: c.mode, mtu: c.mtu, mac, ...(hostNl ? { netnsFd: nsFd } : {}) });
    undos.push(() => ctrNl.linkDel(link.index));

    const result: Result = { cniVersion: ctx.cniVersion, interfaces: [], ips: [], routes: [] };
    if (c.ipam?.type) {
      Object.assign(result, await allocateFor(ctx, c.ipam.type, undos, 0));
      withNetnsFd(nsFd, () => {
        // Neighbours on the LAN learn the new MAC at once (arp_notify is set by configureIface).
        enableNdiscNotify(ifname);
        // DAD stays on, as in the reference: on a real LAN a duplicate address is possible.
        configureIface(ctrNl, { index: link.index, ifname, ips: result.ips ?? [], routes: result.routes ?? [], enableDad: true });
      });
    } else {
      ctrNl.linkSetUp(link.index);
    }

    const now = ctrNl.linkByIndex(link.index) ?? link;
    result.interfaces = [{ name: ifname, mac: now.mac, sandbox: netns, ...(c.mtu ? { mtu: c.mtu } : {}) }];
    return finishResult(result, c.dns);
  } catch (e) {
    await undos.run();
    throw e;
  } finally {
    ctrNl.close();
    hostNl?.close();
    fs.closeSync(nsFd);
  }
}
