// What one portmap call asks the firewall for: the owner, the forwards resolved against the
// container's addresses in prevResult, and the config's settings.
import type { Result } from '../../shared/cni/result';
import type { Context } from '../../shared/cni/skel';
import type { PortmapTarget } from '../../shared/firewall';
import { containerAddrs } from './addresses';
import { settingsOf, type PortmapConf } from '../../shared/conf/portmap';
import { parsePortMappings, resolveForwards } from './mappings';

export type Ctx = Context<PortmapConf>;

export function targetOf(ctx: Ctx, prev: Result): PortmapTarget {
  // The backend picks which implementation runs (the caller passes it); the rules take the rest.
  const { backend: _backend, ...settings } = settingsOf(ctx.conf);
  void _backend;
  const addrs = containerAddrs(prev, ctx.env.ifname);
  return {
    network: ctx.conf.name,
    containerId: ctx.env.containerId,
    ifname: ctx.env.ifname,
    forwards: resolveForwards(parsePortMappings(ctx.conf.runtimeConfig?.portMappings), addrs),
    addrs,
    ...settings,
  };
}
