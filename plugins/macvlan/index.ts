// macvlan: Docker's macvlan driver as a CNI plugin. The container gets its own MAC on the
// master's LAN and looks like one more physical host there. Verbs are in their own modules.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { delegateIpam } from '../../shared/ipam/delegate';
import { Netlink } from '../../shared/netlink';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { macvlanSchema, type MacvlanConf } from './config';
import { cmdDel } from './del';
import { findMaster } from './master';

export const macvlan: Plugin<MacvlanConf> = {
  name: 'macvlan',
  about: 'tscni macvlan: the container as one more host on the master interface LAN',
  schema: macvlanSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  async status(ctx) {
    // STATUS has no container netns: a master that lives in containers cannot be checked here.
    if (!ctx.conf.linkInContainer) {
      const nl = Netlink.open();
      try {
        findMaster(nl, ctx.conf.master, 'host');
      } catch (e) {
        throw new CniError(ErrorCode.NotAvailable, (e as Error).message);
      } finally {
        nl.close();
      }
    }
    if (ctx.conf.ipam?.type) await delegateIpam('STATUS', ctx, ctx.conf.ipam.type);
  },
  async gc(ctx) {
    if (ctx.conf.ipam?.type) await delegateIpam('GC', ctx, ctx.conf.ipam.type);
  },
};

export function main(): Promise<number> {
  return runPlugin(macvlan);
}
