// dnsname's config keys. podman adds {"type":"dnsname","domainName":"dns.podman",
// "capabilities":{"aliases":true}}; the other keys are ours, all optional.
import path from 'node:path';
import { z } from 'zod';
import { CniError, ErrorCode } from '../cni/error';
import { netConfSchema } from '../cni/netconf';
import { domainProblem, upstreamProblem } from '../dns';

export const DEFAULT_DOMAIN = 'dns.podman';
export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

const absolutePath = (field: string) =>
  z.string().refine((p) => path.isAbsolute(p), { message: `${field} must be an absolute path` });

export const dnsnameConfSchema = netConfSchema
  .extend({
    domainName: z.string().optional(),
    /** Root of the per-network state (default /run/containers/cni/dnsname). */
    stateDir: absolutePath('stateDir').optional(),
    /** Upstream resolvers for names outside the network; default: the host's resolv.conf. */
    upstreamServers: z.array(z.string()).optional(),
    resolvConf: absolutePath('resolvConf').optional(),
    dnsmasqPath: absolutePath('dnsmasqPath').optional(),
  })
  .passthrough();

export type DnsnameConf = z.infer<typeof dnsnameConfSchema>;

/** The domain, validated (code 7 naming the field); lower-cased like every DNS answer. */
export function domainOf(conf: DnsnameConf): string {
  const domain = (conf.domainName ?? DEFAULT_DOMAIN).replace(/\.$/, '');
  const problem = domainProblem(domain);
  if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "domainName" ("${conf.domainName}"): ${problem}`);
  return domain.toLowerCase();
}

export function configuredUpstreams(conf: DnsnameConf): string[] | undefined {
  if (!conf.upstreamServers) return undefined;
  conf.upstreamServers.forEach((u, i) => {
    const problem = upstreamProblem(u);
    if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "upstreamServers[${i}]" ("${u}"): ${problem}`);
  });
  return conf.upstreamServers;
}
