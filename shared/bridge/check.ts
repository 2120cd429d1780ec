// bridge CHECK: what prevResult says we made must still be there, and say what differs.
import { CniError, ErrorCode } from '../cni/error';
import type { Context } from '../cni/skel';
import { masqCheck, resolveBackend } from '../firewall';
import { delegateIpam } from '../ipam/delegate';
import { Netlink } from '../netlink';
import { inSandbox } from '../netns/sandbox';
import type { BridgeConf } from './config';

const fail = (msg: string): never => {
  throw new CniError(ErrorCode.Internal, msg);
};

export async function bridgeCheck(ctx: Context<BridgeConf>): Promise<void> {
  const c = ctx.conf;
  if (c.ipam?.type) await delegateIpam('CHECK', ctx, c.ipam.type);
  const prev = ctx.prevResult ?? fail('Required prevResult missing');
  const ifaces = prev.interfaces ?? [];
  const brIface = ifaces.find((i) => i.name === c.bridge && !i.sandbox) ?? fail(`bridge ${c.bridge} not found in prevResult`);
  const ctrIdx = ifaces.findIndex((i) => i.name === ctx.env.ifname && i.sandbox === ctx.env.netns);
  if (ctrIdx < 0) fail(`interface ${ctx.env.ifname} in sandbox ${ctx.env.netns} not found in prevResult`);
  const ctrIface = ifaces[ctrIdx]!;

  const nl = Netlink.open();
  try {
    const br = nl.linkByName(c.bridge) ?? fail(`bridge ${c.bridge} does not exist`);
    if (br.kind !== 'bridge') fail(`${c.bridge} is not a bridge (kind ${br.kind})`);
    if (brIface.mac && br.mac !== brIface.mac.toLowerCase()) fail(`bridge ${c.bridge} MAC is ${br.mac}, prevResult says ${brIface.mac}`);
    if (br.promisc !== c.promiscMode) fail(`bridge ${c.bridge} promiscuous mode is ${br.promisc}, config says ${c.promiscMode}`);

    const { peerIndex, addrs, routesOk } = inSandbox(ctx.env.netns, () => {
      const cnl = Netlink.open();
      try {
        const link = cnl.linkByName(ctx.env.ifname) ?? fail(`interface ${ctx.env.ifname} does not exist in ${ctx.env.netns}`);
        if (link.kind !== 'veth') fail(`interface ${ctx.env.ifname} is a ${link.kind}, not a veth`);
        if (ctrIface.mac && link.mac !== ctrIface.mac.toLowerCase()) fail(`interface ${ctx.env.ifname} MAC is ${link.mac}, prevResult says ${ctrIface.mac}`);
        const addrs = cnl.addrList({ index: link.index }).map((a) => a.cidr);
        const routes = cnl.routeList({});
        const routesOk = (prev.routes ?? []).map((r) => ({ r, ok: routes.some((k) => k.dst === r.dst && (!r.gw || k.gw === r.gw || k.multipath?.some((m) => m.gw === r.gw))) }));
        return { peerIndex: link.link, addrs, routesOk };
      } finally {
        cnl.close();
      }
    });
    const hostVeth = peerIndex ? nl.linkByIndex(peerIndex) : undefined;
    if (!hostVeth) fail(`the host end of ${ctx.env.ifname} was not found`);
    if (hostVeth!.master !== br.index) fail(`host veth ${hostVeth!.name} is not attached to bridge ${c.bridge}`);
    // The host end is listed by name without a sandbox (ADD's second interface): its MAC too.
    const hostIface = ifaces.find((i) => !i.sandbox && i.name === hostVeth!.name);
    if (hostIface?.mac && hostVeth!.mac !== hostIface.mac.toLowerCase()) fail(`host veth ${hostVeth!.name} MAC is ${hostVeth!.mac}, prevResult says ${hostIface.mac}`);
    for (const ip of prev.ips ?? []) {
      if (ip.interface !== undefined && ip.interface !== ctrIdx) continue;
      if (!addrs.includes(ip.address)) fail(`address ${ip.address} is missing on ${ctx.env.ifname}`);
    }
    for (const { r, ok } of routesOk) if (!ok) fail(`route to ${r.dst}${r.gw ? ` via ${r.gw}` : ''} is missing in the container`);
  } finally {
    nl.close();
  }
  if (c.ipMasq && prev.ips?.length) {
    masqCheck(resolveBackend(c.ipMasqBackend, 'ipMasqBackend'), {
      network: String(ctx.json.name),
      containerId: ctx.env.containerId,
      ifname: ctx.env.ifname,
      ips: prev.ips.map((i) => i.address),
    });
  }
}
