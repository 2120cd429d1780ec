// vxlan-sync: the overlay's optional agent, the same executable under another name. It keeps this
// host registered in the store and the kernel in step with the other hosts (see agent.ts).
import { asCniError } from '../../shared/cni/error';
import { log, setLogPrefix } from '../../shared/cni/log';
import { parseSyncArgs } from './args';
import { runLeave, runOnce, runWatch } from './agent';
import { readVxlanConf } from './conf-file';

export async function main(argv: string[]): Promise<number> {
  setLogPrefix('vxlan-sync');
  const args = parseSyncArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n`);
    return 2;
  }
  try {
    const conf = readVxlanConf(args.file);
    if (args.mode === 'leave') {
      log((await runLeave(conf)) ? `left network ${conf.name}` : `not a member of network ${conf.name} (no lease cached): nothing to do`);
      return 0;
    }
    if (args.mode === 'once') {
      await runOnce(conf);
      return 0;
    }
    const stop = new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await runWatch(conf, { resyncSeconds: args.resyncSeconds, stop });
    return 0;
  } catch (e) {
    const err = asCniError(e);
    log(`error (code ${err.code}): ${err.message}`);
    return 1;
  }
}
