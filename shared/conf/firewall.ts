// firewall's config keys (the reference's names and defaults) and their validation. `firewalld`
// is a reference backend we do not have: asking for it is refused rather than silently ignored.
import { z } from 'zod';
import { CniError, ErrorCode } from '../cni/error';
import { netConfSchema } from '../cni/netconf';
import { DEFAULT_ADMIN_CHAIN, INGRESS_POLICIES, type IngressPolicy } from '../firewall';

export const firewallConfSchema = netConfSchema
  .extend({
    backend: z.string().optional(),
    iptablesAdminChainName: z.string().optional(),
    firewalldZone: z.string().optional(),
    ingressPolicy: z.string().optional(),
  })
  .passthrough();

export type FirewallConf = z.infer<typeof firewallConfSchema>;

export interface Settings {
  /** As configured: resolved per call against the host (see resolveForwardBackend). */
  backend?: string;
  ingressPolicy: IngressPolicy;
  adminChain: string;
}

// Chains the admin chain must not be: the built-ins and the ones this plugin manages itself.
const RESERVED_CHAINS = ['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING', 'CNI-FORWARD', 'CNI-ISOLATION-STAGE-1', 'CNI-ISOLATION-STAGE-2'];

function adminChainOf(v: string | undefined): string {
  if (v === undefined || v === '') return DEFAULT_ADMIN_CHAIN;
  // iptables chain names: at most 28 bytes, and nothing iptables-restore would read as an option.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/.test(v) || RESERVED_CHAINS.includes(v.toUpperCase())) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "iptablesAdminChainName": "${v}" is not a usable chain name`, 'up to 28 letters, digits, "_", "." or "-", not a built-in or CNI-FORWARD/CNI-ISOLATION-* chain');
  }
  return v;
}

export function settingsOf(conf: FirewallConf): Settings {
  if (conf.backend === 'firewalld') {
    throw new CniError(ErrorCode.UnsupportedField, 'unsupported value "firewalld" in field "backend"', 'tscni has no firewalld backend: use auto, nftables or iptables');
  }
  const policy = conf.ingressPolicy === undefined || conf.ingressPolicy === '' ? 'open' : conf.ingressPolicy;
  if (!(INGRESS_POLICIES as readonly string[]).includes(policy)) {
    throw new CniError(ErrorCode.UnsupportedField, `unknown ingress policy "${policy}" in field "ingressPolicy"`, `use one of: ${INGRESS_POLICIES.join(', ')}`);
  }
  return { backend: conf.backend, ingressPolicy: policy as IngressPolicy, adminChain: adminChainOf(conf.iptablesAdminChainName) };
}
