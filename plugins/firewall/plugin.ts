// firewall (meta plugin): lets the container's addresses be forwarded by the host even when its
// FORWARD policy is DROP, isolates bridges per ingressPolicy, and keeps an admin chain for the
// operator. Chained after the plugin that made the interface; passes prevResult through.
import type { z } from 'zod';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Result } from '../../shared/cni/result';
import type { Context, Plugin } from '../../shared/cni/skel';
import type { Attachment } from '../../shared/cni/netconf';
import { backendStatus, forwardAdd, forwardCheck, forwardDel, forwardFamilies, forwardGc, resolveForwardBackend, type Backend, type ForwardTarget } from '../../shared/firewall';
import { firewallConfSchema, settingsOf, type FirewallConf } from './config';
import { hostBridge, requireBridge, resultIps } from './targets';

type Ctx = Context<FirewallConf>;

function requirePrev(ctx: Ctx): Result {
  if (!ctx.prevResult) throw new CniError(ErrorCode.InvalidNetworkConfig, 'must be called as chained plugin', 'field "prevResult" is missing');
  return ctx.prevResult;
}

function backendFor(ctx: Ctx, ips: string[] | undefined): Backend {
  return resolveForwardBackend(settingsOf(ctx.conf).backend, forwardFamilies(ips));
}

function target(ctx: Ctx, prev: Result): ForwardTarget {
  const s = settingsOf(ctx.conf);
  const bridge = s.ingressPolicy === 'open' ? hostBridge(prev) : requireBridge(prev, s.ingressPolicy);
  return { network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname, ips: resultIps(prev), ingressPolicy: s.ingressPolicy, bridge, adminChain: s.adminChain };
}

function cmdAdd(ctx: Ctx): Result {
  const prev = requirePrev(ctx);
  const t = target(ctx, prev);
  forwardAdd(backendFor(ctx, t.ips), t);
  return prev;
}

/** Needs no prevResult: without it the entries are found by their owner comment. */
function cmdDel(ctx: Ctx): void {
  settingsOf(ctx.conf);
  const ips = ctx.prevResult ? resultIps(ctx.prevResult) : undefined;
  forwardDel(backendFor(ctx, ips), { network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname, ips });
}

function cmdCheck(ctx: Ctx): void {
  const t = target(ctx, requirePrev(ctx));
  forwardCheck(backendFor(ctx, t.ips), t);
}

function cmdGc(ctx: Ctx, valid: Attachment[]): void {
  forwardGc(backendFor(ctx, undefined), ctx.conf.name, valid);
}

export const firewall: Plugin<FirewallConf> = {
  name: 'firewall',
  about: 'tscni firewall: forwarding accepts, ingress isolation and an admin chain for container addresses (nftables or iptables)',
  schema: firewallConfSchema as z.ZodType<FirewallConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => backendStatus(backendFor(ctx, undefined)),
  gc: cmdGc,
};
