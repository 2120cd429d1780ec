// portmap: publishes host ports to a container (Docker's -p host:container), as a chained plugin.
import type { z } from 'zod';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context, Plugin } from '../../shared/cni/skel';
import type { Result } from '../../shared/cni/result';
import { backendStatus, portmapAdd, portmapCheck, portmapDel, portmapGc, type PortmapTarget } from '../../shared/firewall';
import { containerAddrs } from './addresses';
import { portmapConfSchema, settingsOf, type PortmapConf } from './config';
import { parsePortMappings, resolveForwards } from './mappings';

type Ctx = Context<PortmapConf>;

const mappingsOf = (ctx: Ctx): unknown => ctx.conf.runtimeConfig?.portMappings;

function requirePrev(ctx: Ctx): Result {
  if (!ctx.prevResult) throw new CniError(ErrorCode.InvalidNetworkConfig, 'must be called as chained plugin', 'field "prevResult" is missing');
  return ctx.prevResult;
}

function target(ctx: Ctx, prev: Result): PortmapTarget {
  const s = settingsOf(ctx.conf);
  const addrs = containerAddrs(prev, ctx.env.ifname);
  return {
    network: ctx.conf.name,
    containerId: ctx.env.containerId,
    ifname: ctx.env.ifname,
    forwards: resolveForwards(parsePortMappings(mappingsOf(ctx)), addrs),
    addrs,
    snat: s.snat,
    masqAll: s.masqAll,
    markMasqBit: s.markMasqBit,
    externalSetMarkChain: s.externalSetMarkChain,
    conditionsV4: s.conditionsV4,
    conditionsV6: s.conditionsV6,
  };
}

function cmdAdd(ctx: Ctx): Result {
  const prev = requirePrev(ctx);
  const t = target(ctx, prev);
  if (t.forwards.length) portmapAdd(settingsOf(ctx.conf).backend, t);
  return prev;
}

/** Needs neither the mappings nor prevResult: without them the entries are found by owner. */
function cmdDel(ctx: Ctx): void {
  const s = settingsOf(ctx.conf);
  const removal = { network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname, snat: s.snat, masqAll: s.masqAll };
  if (ctx.prevResult) {
    try {
      const t = target(ctx, ctx.prevResult);
      portmapDel(s.backend, { ...removal, forwards: t.forwards, addrs: t.addrs, families: t.addrs.map((a) => a.family) });
      return;
    } catch (e) {
      // A mapping list that no longer validates must not block DEL: fall back to the owner lookup.
      if (!(e instanceof CniError) || e.code === ErrorCode.Internal) throw e;
    }
  }
  portmapDel(s.backend, removal);
}

function cmdCheck(ctx: Ctx): void {
  const prev = requirePrev(ctx);
  portmapCheck(settingsOf(ctx.conf).backend, target(ctx, prev));
}

export const portmap: Plugin<PortmapConf> = {
  name: 'portmap',
  about: 'tscni portmap: publish host ports to containers (nftables or iptables)',
  schema: portmapConfSchema as z.ZodType<PortmapConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => backendStatus(settingsOf(ctx.conf).backend),
  gc: (ctx, valid) => portmapGc(settingsOf(ctx.conf).backend, ctx.conf.name, valid),
};
