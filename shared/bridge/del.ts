// bridge DEL: best effort and idempotent. Unlike the reference, masquerade entries are removed
// even when the netns is already gone (addresses from prevResult, or found by container id).
import type { Context } from '../cni/skel';
import { masqDel, resolveBackend } from '../firewall';
import { macspoofDel } from '../firewall/macspoof';
import { delegateIpam } from '../ipam/delegate';
import { Netlink } from '../netlink';
import { inSandboxIfPresent } from '../netns/sandbox';
import type { BridgeConf } from './config';
import { trace } from '../cni/trace';

export async function bridgeDel(ctx: Context<BridgeConf>): Promise<void> {
  const c = ctx.conf;
  trace('del: start');
  const ifaceAddrs: string[] = [];
  inSandboxIfPresent(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const link = nl.linkByName(ctx.env.ifname);
      if (!link) return;
      for (const a of nl.addrList({ index: link.index })) if (a.scope === 0) ifaceAddrs.push(a.cidr);
      nl.linkDel(link.index);
    } finally {
      nl.close();
    }
  });

  trace('del: link deleted');
  if (c.macspoofchk) macspoofDel({ network: c.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname });

  // Masquerade goes before the address is released: once IPAM hands it to another container,
  // removing entries by address could take that container's entry with it.
  if (c.ipMasq) {
    const prevIps = (ctx.prevResult?.ips ?? []).map((i) => i.address);
    const ips = ifaceAddrs.length ? ifaceAddrs : prevIps;
    masqDel(resolveBackend(c.ipMasqBackend, 'ipMasqBackend'), { network: String(ctx.json.name), containerId: ctx.env.containerId, ifname: ctx.env.ifname, ips });
  }

  trace('del: masquerade removed');
  if (c.ipam?.type) await delegateIpam('DEL', ctx, c.ipam.type);
  trace('del: ipam released');
}
