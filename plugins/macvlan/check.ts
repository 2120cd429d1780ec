// macvlan CHECK: what prevResult says we made must still be there, and say what differs.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { delegateIpam } from '../../shared/ipam/delegate';
import { Netlink } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';
import type { MacvlanConf } from '../../shared/conf/macvlan';
import { findMaster } from './master';

const fail = (msg: string): never => {
  throw new CniError(ErrorCode.Internal, msg);
};

export async function cmdCheck(ctx: Context<MacvlanConf>): Promise<void> {
  const c = ctx.conf;
  const { ifname, netns } = ctx.env;
  if (c.ipam?.type) await delegateIpam('CHECK', ctx, c.ipam.type);
  const prev = ctx.prevResult ?? fail('Required prevResult missing');
  const ifaces = prev.interfaces ?? [];
  const idx = ifaces.findIndex((i) => i.name === ifname && i.sandbox === netns);
  if (idx < 0) fail(`interface ${ifname} in sandbox ${netns} not found in prevResult`);
  const want = ifaces[idx]!;

  if (!c.linkInContainer) {
    const nl = Netlink.open();
    try {
      findMaster(nl, c.master, 'host');
    } finally {
      nl.close();
    }
  }
  inSandbox(netns, () => {
    const nl = Netlink.open();
    try {
      if (c.linkInContainer) findMaster(nl, c.master, 'container');
      const link = nl.linkByName(ifname) ?? fail(`interface ${ifname} does not exist in ${netns}`);
      if (link.kind !== 'macvlan') fail(`interface ${ifname} is a ${link.kind ?? 'device of unknown kind'}, not a macvlan`);
      if (link.macvlan?.mode !== c.mode) fail(`interface ${ifname} macvlan mode is ${link.macvlan?.mode}, config says ${c.mode}`);
      if (want.mac && link.mac !== want.mac.toLowerCase()) fail(`interface ${ifname} MAC is ${link.mac}, prevResult says ${want.mac}`);
      if (c.mtu && link.mtu !== c.mtu) fail(`interface ${ifname} MTU is ${link.mtu}, config says ${c.mtu}`);
      const addrs = nl.addrList({ index: link.index }).map((a) => a.cidr);
      for (const ip of prev.ips ?? []) {
        if (ip.interface !== undefined && ip.interface !== idx) continue;
        if (!addrs.includes(ip.address)) fail(`address ${ip.address} is missing on ${ifname}`);
      }
      const routes = [...nl.routeList({ family: 4 }), ...nl.routeList({ family: 6 })];
      for (const r of prev.routes ?? []) {
        const ok = routes.some((k) => k.dst === r.dst && (!r.gw || k.gw === r.gw || k.multipath?.some((m) => m.gw === r.gw)));
        if (!ok) fail(`route to ${r.dst}${r.gw ? ` via ${r.gw}` : ''} is missing in the container`);
      }
    } finally {
      nl.close();
    }
  });
}
