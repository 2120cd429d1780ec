// What the user may say about the attachment: the bridge delegate's keys (some are computed by
// the overlay itself) and the IPAM (host-local's addresses come from this host's share).
import { badField as bad } from './conf-error';
import type { VxlanConf } from './config';

/** Keys of the bridge delegate that the overlay computes itself. */
const RESERVED_DELEGATE_KEYS: Record<string, string> = {
  name: 'the network name is the delegate name',
  cniVersion: 'the delegate uses the network cniVersion',
  bridge: 'set "bridge" at the top level',
  mtu: 'set "mtu" at the top level (it must match the vxlan device)',
  ipam: 'set "ipam" at the top level',
  prevResult: 'passed through by the plugin',
  runtimeConfig: 'passed through by the plugin',
  args: 'passed through by the plugin',
};

export function checkDelegate(c: VxlanConf): void {
  for (const [k, v] of Object.entries(c.delegate)) {
    if (k === 'type' && v === 'bridge') continue;
    if (k === 'type') throw bad('delegate.type', 'the attachment is always made by the bridge plugin');
    const why = RESERVED_DELEGATE_KEYS[k];
    if (why) throw bad(`delegate.${k}`, why);
  }
}

export function checkIpam(c: VxlanConf): void {
  const ipam = c.ipam ?? {};
  for (const k of ['subnet', 'ranges', 'rangeStart', 'rangeEnd', 'gateway']) {
    if ((ipam.type ?? 'host-local') === 'host-local' && (ipam as Record<string, unknown>)[k] !== undefined) {
      throw bad(`ipam.${k}`, `the addresses come from "${c.mode === 'l3' ? 'nodeSubnet' : 'nodeRange'}"; leave ipam.${k} out`);
    }
  }
}
