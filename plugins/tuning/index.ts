// tuning (meta): container sysctls and interface settings (mac, mtu, promisc, allmulti,
// txqueuelen) on the interface an earlier plugin made; the originals come back on DEL.
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { tuningSchema, type TuningConf } from '../../shared/conf/tuning';
import { cmdDel } from './del';
import { cmdGc } from './gc';
import { cmdStatus } from './status';

export const tuning: Plugin<TuningConf> = {
  name: 'tuning',
  about: 'tscni tuning: container sysctls and interface settings, restored on DEL',
  chained: true,
  schema: tuningSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: (ctx) => cmdStatus(ctx),
  gc: cmdGc,
};

export function main(): Promise<number> {
  return runPlugin(tuning);
}
