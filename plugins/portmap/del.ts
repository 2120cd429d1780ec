// portmap DEL: needs neither the mappings nor prevResult. Either way only the entries recorded
// as this attachment's go (the firewall layer checks the owner); the mappings just narrow the
// look-up.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { portmapDel } from '../../shared/firewall';
import { settingsOf } from '../../shared/conf/portmap';
import { targetOf, type Ctx } from './target';

export function cmdDel(ctx: Ctx): void {
  const s = settingsOf(ctx.conf);
  const removal = { network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname, snat: s.snat, masqAll: s.masqAll };
  if (ctx.prevResult) {
    try {
      const t = targetOf(ctx, ctx.prevResult);
      portmapDel(s.backend, { ...removal, forwards: t.forwards, addrs: t.addrs, families: t.addrs.map((a) => a.family) });
      return;
    } catch (e) {
      // A mapping list that no longer validates must not block DEL: fall back to the owner lookup.
      if (!(e instanceof CniError) || e.code === ErrorCode.Internal) throw e;
    }
  }
  portmapDel(s.backend, removal);
}
