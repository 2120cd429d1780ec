// portmap: publishes host ports to a container (Docker's -p host:container), as a chained plugin.
// Verbs are in their own modules; the firewall layer (shared/firewall) does the work.
import type { z } from 'zod';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { backendStatus, portmapGc } from '../../shared/firewall';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { portmapConfSchema, settingsOf, type PortmapConf } from '../../shared/conf/portmap';
import { cmdDel } from './del';

export const portmap: Plugin<PortmapConf> = {
  name: 'portmap',
  about: 'tscni portmap: publish host ports to containers (nftables or iptables)',
  chained: true,
  schema: portmapConfSchema as z.ZodType<PortmapConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => backendStatus(settingsOf(ctx.conf).backend),
  gc: (ctx, valid) => portmapGc(settingsOf(ctx.conf).backend, ctx.conf.name, valid),
};

export async function main(): Promise<number> {
  return runPlugin(portmap);
}
