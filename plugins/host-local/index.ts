// host-local: allocates addresses from configured ranges and keeps leases in a local store,
// drop-in compatible with the reference plugin's config, store and lock.
import type { z } from 'zod';
import type { Context, Plugin } from '../../shared/cni/skel';
import { runPlugin } from '../../shared/cni/skel';
import { netConfSchema, type NetConf } from '../../shared/cni/netconf';
import { hostLocalAdd, hostLocalCheck, hostLocalDel, hostLocalGc, hostLocalStatus, type IpamRequest } from '../../shared/ipam/host-local';

const request = (ctx: Context<NetConf>): IpamRequest => ({
  env: ctx.env,
  json: ctx.json,
  cniVersion: ctx.cniVersion,
  cniArgs: ctx.cniArgs,
  prevResult: ctx.prevResult,
});

export const hostLocal: Plugin<NetConf> = {
  name: 'host-local',
  about: 'tscni host-local IPAM',
  schema: netConfSchema as z.ZodType<NetConf, z.ZodTypeDef, unknown>,
  add: (ctx) => hostLocalAdd(request(ctx)),
  del: (ctx) => hostLocalDel(request(ctx)),
  check: (ctx) => hostLocalCheck(request(ctx)),
  status: (ctx) => hostLocalStatus(request(ctx)),
  gc: (ctx, valid) => hostLocalGc(request(ctx), valid),
};

export async function main(): Promise<number> {
  return runPlugin(hostLocal);
}
