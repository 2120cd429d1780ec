// firewall (meta plugin): lets the container's addresses be forwarded by the host even when its
// FORWARD policy is DROP, applies each container's ingressPolicy to that container alone, and
// keeps an admin chain for the operator. Chained after the plugin that made the interface;
// passes prevResult through.
import type { z } from 'zod';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { backendStatus } from '../../shared/firewall';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { firewallConfSchema, type FirewallConf } from '../../shared/conf/firewall';
import { cmdDel } from './del';
import { cmdGc } from './gc';
import { backendFor } from './targets';

export const firewall: Plugin<FirewallConf> = {
  name: 'firewall',
  about: 'tscni firewall: forwarding accepts, per-container ingress policy and an admin chain for container addresses (nftables or iptables)',
  chained: true,
  schema: firewallConfSchema as z.ZodType<FirewallConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => backendStatus(backendFor(ctx, undefined)),
  gc: cmdGc,
};

export async function main(): Promise<number> {
  return runPlugin(firewall);
}
