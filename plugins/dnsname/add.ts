// dnsname ADD: publish the container's names to the network's dnsmasq (started on first use) on
// the bridge's gateway addresses, and put that server first in the result's DNS.
import { log } from '../../shared/cni/log';
import type { DNS, Result } from '../../shared/cni/result';
import { chainedPrev, type Context } from '../../shared/cni/skel';
import { hostUpstreams, publish, serverUser, withoutSelf, type ServerSettings } from '../../shared/dns';
import { DEFAULT_RESOLV_CONF, configuredUpstreams, domainOf, type DnsnameConf } from '../../shared/conf/dnsname';
import { containerNames } from './container-names';
import { attachmentOf, dnsmasqBinary, filesOf } from './network';
import { addressing } from './prev-result';

/** The runtime writes these into the container's resolv.conf: our server first. */
function withOurDns(dns: DNS | undefined, listen: string[], domain: string): DNS {
  const nameservers = [...new Set([...listen, ...(dns?.nameservers ?? [])])];
  const search = [...new Set([...(dns?.search ?? []), domain])];
  return { ...dns, nameservers, search };
}

export function cmdAdd(ctx: Context<DnsnameConf>): Result {
  const prev = chainedPrev(ctx);
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
