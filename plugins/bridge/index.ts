// bridge: the docker0 model. A host bridge as the containers' switch and gateway, one veth per
// container, addresses from IPAM, outbound traffic masqueraded. Verbs are in their own modules.
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { bridgeSchema, type BridgeConf } from './config';
import { cmdDel } from './del';
import { cmdGc } from './gc';
import { cmdStatus } from './status';

export const bridge: Plugin<BridgeConf> = {
  name: 'bridge',
  about: 'tscni bridge: containers on a host bridge with veth pairs, gateway and masquerade',
  schema: bridgeSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGc,
};

export function main(): Promise<number> {
  return runPlugin(bridge);
}
