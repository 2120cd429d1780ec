// dnsname: containers on a network reach each other by name (Docker's embedded DNS, podman's
// dnsname plugin). A chained meta plugin: the bridge has made the network; this publishes the
// container's names to the network's own dnsmasq, on the bridge's gateway address.
import type { z } from 'zod';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { log } from '../../shared/cni/log';
import type { DNS, Result } from '../../shared/cni/result';
import type { Context, Plugin } from '../../shared/cni/skel';
import { findDnsmasq, hostUpstreams, networkFiles, prune, publish, serverUser, stateBase, unpublish, verifyServing, withoutSelf, type NetworkFiles, type ServerSettings } from '../../shared/dns';
import { DEFAULT_RESOLV_CONF, configuredUpstreams, dnsnameConfSchema, domainOf, type DnsnameConf } from './config';
import { containerNames } from './container-names';
import { addressing, requirePrev } from './prev-result';

type Ctx = Context<DnsnameConf>;

const filesOf = (ctx: Ctx): NetworkFiles => networkFiles(stateBase(ctx.conf.stateDir), ctx.conf.name);
const attachmentOf = (ctx: Ctx) => ({ containerId: ctx.env.containerId, ifname: ctx.env.ifname });

function dnsmasqBinary(conf: DnsnameConf): string {
  const bin = findDnsmasq(conf.dnsmasqPath);
  if (!bin) {
    const where = conf.dnsmasqPath ? `"${conf.dnsmasqPath}" (field "dnsmasqPath")` : 'on PATH or in /usr/local/sbin, /usr/sbin, /sbin';
    throw new CniError(ErrorCode.NotAvailable, `dnsname: dnsmasq not found ${where}`, 'install it (Debian: apt-get install dnsmasq-base)');
  }
  return bin;
}

/** The runtime writes these into the container's resolv.conf: our server first. */
function withOurDns(dns: DNS | undefined, listen: string[], domain: string): DNS {
  const nameservers = [...new Set([...listen, ...(dns?.nameservers ?? [])])];
  const search = [...new Set([...(dns?.search ?? []), domain])];
  return { ...dns, nameservers, search };
}

function cmdAdd(ctx: Ctx): Result {
  const prev = requirePrev(ctx.prevResult);
  const domain = domainOf(ctx.conf);
  const upstreams = configuredUpstreams(ctx.conf);
  const names = containerNames(ctx.conf, ctx.cniArgs);
  const { ips, listen } = addressing(prev);
  const binary = dnsmasqBinary(ctx.conf);
  const files = filesOf(ctx);
  const settings: ServerSettings = {
    listen,
    domain,
    upstreams: upstreams ? withoutSelf(upstreams, listen) : hostUpstreams(ctx.conf.resolvConf ?? DEFAULT_RESOLV_CONF, listen),
    user: serverUser(files.dir),
  };
  const action = publish(files, settings, binary, { ...attachmentOf(ctx), ...names, ips });
  if (action !== 'reloaded') log(`${action} dnsmasq for network "${ctx.conf.name}" on ${listen.join(', ')}`);
  return { ...prev, cniVersion: ctx.cniVersion, dns: withOurDns(prev.dns, listen, domain) };
}

function cmdDel(ctx: Ctx): void {
  unpublish(filesOf(ctx), attachmentOf(ctx));
}

async function cmdCheck(ctx: Ctx): Promise<void> {
  requirePrev(ctx.prevResult);
  await verifyServing(filesOf(ctx), attachmentOf(ctx));
}

export const dnsname: Plugin<DnsnameConf> = {
  name: 'dnsname',
  about: 'tscni dnsname: containers on a network resolve each other by name (dnsmasq per network)',
  schema: dnsnameConfSchema as z.ZodType<DnsnameConf, z.ZodTypeDef, unknown>,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => void dnsmasqBinary(ctx.conf),
  gc: (ctx, valid) => prune(filesOf(ctx), valid.map((v) => ({ containerId: v.containerID, ifname: v.ifname }))),
};
