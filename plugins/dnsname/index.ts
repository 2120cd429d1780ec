// dnsname: containers on a network reach each other by name (Docker's embedded DNS, podman's
// dnsname plugin). A chained meta plugin: the bridge has made the network; this publishes the
// container's names to the network's own dnsmasq, on the bridge's gateway address.
import type { z } from 'zod';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { prune, unpublish } from '../../shared/dns';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { dnsnameConfSchema, type DnsnameConf } from '../../shared/conf/dnsname';
import { attachmentOf, dnsmasqBinary, filesOf } from './network';

export const dnsname: Plugin<DnsnameConf> = {
  name: 'dnsname',
  about: 'tscni dnsname: containers on a network resolve each other by name (dnsmasq per network)',
  chained: true,
  schema: dnsnameConfSchema as z.ZodType<DnsnameConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: (ctx) => unpublish(filesOf(ctx), attachmentOf(ctx)),
  check: cmdCheck,
  status: (ctx) => void dnsmasqBinary(ctx.conf),
  gc: (ctx, valid) => prune(filesOf(ctx), valid),
};

export function main(): Promise<number> {
  return runPlugin(dnsname);
}
