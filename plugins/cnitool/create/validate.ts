// The conflist `network create` generated, run through each plugin's own schema and cross-field
// checks: a network that the plugins would refuse at the first ADD is refused now, with the
// plugin's message, and nothing is written.
import { CniError } from '../../../shared/cni/error';
import { parseConfig } from '../../../shared/cni/netconf';
import { bridgeSchema, validateBridgeConf } from '../../../shared/bridge/config';
import { dnsnameConfSchema, domainOf } from '../../../shared/conf/dnsname';
import { firewallConfSchema, settingsOf } from '../../../shared/conf/firewall';
import { macvlanSchema, validateMacvlanConf } from '../../../shared/conf/macvlan';
import { portmapConfSchema } from '../../../shared/conf/portmap';
import { tuningSchema } from '../../../shared/conf/tuning';
import { validateVxlanConf, vxlanSchema } from '../../../shared/overlay/config';
import { CliError } from '../cli-io';

type Json = Record<string, unknown>;

const CHECKS: Record<string, (conf: Json) => void> = {
  bridge: (c) => void validateBridgeConf(parseConfig(bridgeSchema, c)),
  macvlan: (c) => validateMacvlanConf(parseConfig(macvlanSchema, c)),
  vxlan: (c) => void validateVxlanConf(parseConfig(vxlanSchema, c)),
  dnsname: (c) => void domainOf(parseConfig(dnsnameConfSchema, c)),
  firewall: (c) => void settingsOf(parseConfig(firewallConfSchema, c)),
  portmap: (c) => void parseConfig(portmapConfSchema, c),
  tuning: (c) => void parseConfig(tuningSchema, c),
};

export function validateConflist(list: Json): void {
  for (const p of list.plugins as Json[]) {
    const check = CHECKS[p.type as string];
    if (!check) continue;
    try {
      // Each plugin sees its object with the list's name and version, as libcni hands it over.
      check({ ...p, name: list.name, cniVersion: list.cniVersion });
    } catch (e) {
      if (e instanceof CniError) throw new CliError(`${p.type}: ${e.message}`);
      throw e;
    }
  }
}
