// portmap's config keys (the reference's, same defaults) and the choice of firewall backend.
import { z } from 'zod';
import { CniError, ErrorCode } from '../cni/error';
import { netConfSchema } from '../cni/netconf';
import { detectBackend, resolveBackend, type Backend, type PortmapSettings } from '../firewall';

export const portmapConfSchema = netConfSchema
  .extend({
    snat: z.boolean().optional(),
    masqAll: z.boolean().optional(),
    markMasqBit: z.number().int().optional(),
    externalSetMarkChain: z.string().min(1).optional(),
    conditionsV4: z.array(z.string()).optional(),
    conditionsV6: z.array(z.string()).optional(),
    backend: z.string().optional(),
  })
  .passthrough();

export type PortmapConf = z.infer<typeof portmapConfSchema>;

export const DEFAULT_MARK_BIT = 13;

/** The config resolved: which firewall backend, and the settings its rules take. */
export interface Settings extends PortmapSettings {
  backend: Backend;
}

/** The reference rule: a first token starting with '-' or '!' is iptables syntax, else nft. */
export function conditionsDialect(tokens: string[] | undefined): Backend | undefined {
  const first = tokens?.[0];
  if (first === undefined) return undefined;
  return first.startsWith('-') || first.startsWith('!') ? 'iptables' : 'nftables';
}

export function settingsOf(conf: PortmapConf): Settings {
  if (conf.markMasqBit !== undefined && (conf.markMasqBit < 0 || conf.markMasqBit > 31)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid field "markMasqBit": MasqMarkBit must be between 0 and 31');
  }
  if (conf.markMasqBit !== undefined && conf.externalSetMarkChain) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid fields "markMasqBit" and "externalSetMarkChain": cannot use both');
  }
  const dialects = new Set([conditionsDialect(conf.conditionsV4), conditionsDialect(conf.conditionsV6)].filter((d): d is Backend => d !== undefined));
  if (dialects.size > 1) throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid fields "conditionsV4"/"conditionsV6": they mix iptables and nftables syntax');
  const dialect = [...dialects][0];
  const explicit = conf.backend !== undefined && conf.backend !== '' && conf.backend !== 'auto';
  let backend: Backend;
  if (explicit) {
    backend = resolveBackend(conf.backend, 'backend');
    if (dialect && dialect !== backend) {
      const opts = [...(conf.conditionsV4 ?? []), ...(conf.conditionsV6 ?? [])];
      throw new CniError(ErrorCode.InvalidNetworkConfig, `${backend} backend was requested but configuration contains ${dialect}-specific options [${opts.join(' ')}]`, 'fields "conditionsV4"/"conditionsV6"');
    }
  } else {
    // Auto: options that only one backend understands decide; otherwise the host does.
    backend = conf.externalSetMarkChain ? 'iptables' : (dialect ?? detectBackend());
  }
  if (backend === 'nftables' && conf.externalSetMarkChain) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid field "externalSetMarkChain": only the iptables backend supports it');
  }
  return {
    backend,
    snat: conf.snat ?? true,
    masqAll: conf.masqAll ?? false,
    markMasqBit: conf.markMasqBit ?? DEFAULT_MARK_BIT,
    externalSetMarkChain: conf.externalSetMarkChain,
    conditionsV4: conf.conditionsV4,
    conditionsV6: conf.conditionsV6,
  };
}
