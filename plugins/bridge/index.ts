// bridge: the docker0 model. A host bridge as the containers' switch and gateway, one veth per
// container, addresses from IPAM, outbound traffic masqueraded. The attachment lives in
// shared/bridge/ because vxlan runs the same verbs in-process as its delegate.
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { bridgeAdd } from '../../shared/bridge/add';
import { bridgeCheck } from '../../shared/bridge/check';
import { bridgeSchema, type BridgeConf } from '../../shared/bridge/config';
import { bridgeDel } from '../../shared/bridge/del';
import { bridgeGc } from '../../shared/bridge/gc';
import { bridgeStatus } from '../../shared/bridge/status';

export const bridge: Plugin<BridgeConf> = {
  name: 'bridge',
  about: 'tscni bridge: containers on a host bridge with veth pairs, gateway and masquerade',
  schema: bridgeSchema,
  add: bridgeAdd,
  del: bridgeDel,
  check: bridgeCheck,
  status: bridgeStatus,
  gc: bridgeGc,
};

export function main(): Promise<number> {
  return runPlugin(bridge);
}
