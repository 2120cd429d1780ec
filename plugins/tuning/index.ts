// tuning (meta): container sysctls and interface settings (mac, mtu, promisc, allmulti,
// txqueuelen) on the interface an earlier plugin made; the originals come back on DEL.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { tuningSchema, type TuningConf } from './config';
import { cmdDel } from './del';
import { gcStates } from './saved-state';

export const tuning: Plugin<TuningConf> = {
  name: 'tuning',
  about: 'tscni tuning: container sysctls and interface settings, restored on DEL',
  schema: tuningSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  gc(ctx, valid) {
    try {
      gcStates(ctx.conf.dataDir, valid);
    } catch (e) {
      throw new CniError(ErrorCode.Internal, `GC of ${ctx.conf.dataDir} failed`, (e as Error).message);
    }
  },
};

export function main(): Promise<number> {
  return runPlugin(tuning);
}
