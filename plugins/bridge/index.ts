// bridge: the docker0 model. A host bridge as the containers' switch and gateway, one veth per
// container, addresses from IPAM, outbound traffic masqueraded. Verbs are in their own modules.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { masqGc, resolveBackend } from '../../shared/firewall';
import { delegateIpam } from '../../shared/ipam/delegate';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { bridgeSchema, type BridgeConf } from './config';
import { cmdDel } from './del';

export const bridge: Plugin<BridgeConf> = {
  name: 'bridge',
  about: 'tscni bridge: containers on a host bridge with veth pairs, gateway and masquerade',
  schema: bridgeSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  async status(ctx) {
    if (ctx.conf.ipMasq) {
      try {
        resolveBackend(ctx.conf.ipMasqBackend, 'ipMasqBackend');
      } catch (e) {
        throw new CniError(ErrorCode.NotAvailable, `masquerade backend unusable: ${(e as Error).message}`);
      }
    }
    if (ctx.conf.ipam?.type) await delegateIpam('STATUS', ctx, ctx.conf.ipam.type);
  },
  async gc(ctx, valid) {
    const errors: string[] = [];
    if (ctx.conf.ipam?.type) await delegateIpam('GC', ctx, ctx.conf.ipam.type).catch((e) => errors.push((e as Error).message));
    if (ctx.conf.ipMasq) {
      try {
        masqGc(resolveBackend(ctx.conf.ipMasqBackend, 'ipMasqBackend'), String(ctx.json.name), valid);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new CniError(ErrorCode.Internal, `GC failed: ${errors.join('; ')}`);
  },
};

export function main(): Promise<number> {
  return runPlugin(bridge);
}
