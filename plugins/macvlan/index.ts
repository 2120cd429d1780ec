// macvlan: Docker's macvlan driver as a CNI plugin. The container gets its own MAC on the
// master's LAN and looks like one more physical host there. Verbs are in their own modules.
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { delegateIpam } from '../../shared/ipam/delegate';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { macvlanSchema, type MacvlanConf } from '../../shared/conf/macvlan';
import { cmdDel } from './del';
import { cmdStatus } from './status';

export const macvlan: Plugin<MacvlanConf> = {
  name: 'macvlan',
  about: 'tscni macvlan: the container as one more host on the master interface LAN',
  schema: macvlanSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  async gc(ctx) {
    if (ctx.conf.ipam?.type) await delegateIpam('GC', ctx, ctx.conf.ipam.type);
  },
};

export function main(): Promise<number> {
  return runPlugin(macvlan);
}
