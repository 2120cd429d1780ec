// bridge ADD, in the reference's order; every step that creates something registers its undo,
// so a failure anywhere leaves the host as it was (the bridge itself stays only if it pre-existed).
import fs from 'node:fs';
import { CniError, ErrorCode } from '../cni/error';
import { finishResult, type Interface, type Result } from '../cni/result';
import type { Context } from '../cni/skel';
import { masqAdd, masqDel, resolveBackend } from '../firewall';
import { macspoofAdd, macspoofDel } from '../firewall/macspoof';
import { allocateFor } from '../ipam/delegate';
import { ensureBridge } from '../link/bridge';
import { configureIface } from '../link/iface';
import { randomVethName } from '../link/random-name';
import { createVeth } from '../link/veth';
import { Netlink, waitOperUp } from '../netlink';
import { withNetnsFd } from '../netns/netns';
import { openSandbox } from '../netns/sandbox';
import { Rollback } from '../cni/rollback';
import { disableAcceptRa } from '../sys/sysctl';
import { trace } from '../cni/trace';
import { containerMac, validateBridgeConf, type BridgeConf } from './config';
import { enableForwardingFor, ensureGatewayAddrs, ensureVlanGatewayLink } from './gateway';
import { applyPortVlans, usesVlans } from './vlan';

export async function bridgeAdd(ctx: Context<BridgeConf>): Promise<Result> {
  const c = ctx.conf;
  const { trunk } = validateBridgeConf(c);
  const mac = containerMac(c, ctx.cniArgs);
  const backend = c.ipMasq ? resolveBackend(c.ipMasqBackend, 'ipMasqBackend') : undefined;
  const isGateway = c.isGateway || c.isDefaultGateway;
  const vlans = { vlan: c.vlan, trunk, preserveDefaultVlan: c.preserveDefaultVlan };

  const nsFd = openSandbox(ctx.env.netns);
  trace('add: start');
  const nl = Netlink.open();
  const ctrNl = withNetnsFd(nsFd, () => Netlink.open());
  const undos = new Rollback();
  try {
    const { bridge, created } = ensureBridge(nl, { name: c.bridge, mtu: c.mtu, vlanFiltering: usesVlans(vlans), promisc: c.promiscMode });
    // Runs after our veth is gone: a bridge we created but a parallel ADD has since joined stays.
    if (created) undos.push(() => void (nl.linkList().some((l) => l.master === bridge.index) || nl.linkDel(bridge.index)));

    trace('add: bridge ready');
    const { host, container } = createVeth(nl, ctrNl, nsFd, { ifname: ctx.env.ifname, mtu: c.mtu, containerMac: mac });
    undos.push(() => nl.linkDel(host.index));
    disableAcceptRa(host.name);
    nl.linkSetMaster(host.index, bridge.index);
    if (c.hairpinMode || c.portIsolation) nl.bridgePortSet(host.index, { hairpin: c.hairpinMode || undefined, isolated: c.portIsolation || undefined });
    applyPortVlans(nl, host.index, vlans);
    nl.linkSetUp(host.index);

    trace('add: veth ready');
    if (c.macspoofchk) {
      macspoofAdd({ network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname, hostIface: host.name, mac: container.mac });
      undos.push(() => macspoofDel({ network: ctx.conf.name, containerId: ctx.env.containerId, ifname: ctx.env.ifname }));
    }

    const result: Result = { cniVersion: ctx.cniVersion, interfaces: [], ips: [], routes: [] };
    if (c.ipam?.type) Object.assign(result, await allocateFor(ctx, c.ipam.type, undos, 2));
    trace('add: ipam done');
    if (c.isDefaultGateway) {
      for (const ip of result.ips ?? []) {
        if (!ip.gateway) continue;
        const dst = ip.address.includes(':') ? '::/0' : '0.0.0.0/0';
        if (!result.routes!.some((r) => r.dst === dst)) result.routes!.push({ dst, gw: ip.gateway });
      }
    }

    if (!c.disableContainerInterface) {
      withNetnsFd(nsFd, () =>
        configureIface(ctrNl, { index: container.index, ifname: ctx.env.ifname, ips: result.ips ?? [], routes: result.routes ?? [], enableDad: c.enabledad }),
      );
    }

    trace('add: container iface configured');
    const extraIfaces: Interface[] = [];
    if (isGateway && result.ips?.length) {
      let gwLink = bridge;
      if (c.vlan) {
        gwLink = ensureVlanGatewayLink(nl, bridge, c.vlan, c.mtu, randomVethName(), c.preserveDefaultVlan);
        extraIfaces.push({ name: gwLink.name, mac: gwLink.mac });
      }
      ensureGatewayAddrs(nl, gwLink, result.ips, c.forceAddress);
      enableForwardingFor(result.ips);
    }

    trace('add: gateway done');
    if (backend && result.ips?.length) {
      const target = { network: String(ctx.json.name), containerId: ctx.env.containerId, ifname: ctx.env.ifname, ips: result.ips.map((i) => i.address) };
      masqAdd(backend, target);
      undos.push(() => masqDel(backend, target));
    }

    trace('add: masquerade done');
    if (!c.disableContainerInterface) {
      const state = waitOperUp(nl, host.index, 2500);
      if (state !== 'up') throw new CniError(ErrorCode.Internal, `bridge port in error state: ${state}`);
    }

    trace('add: port up');
    const br = nl.linkByIndex(bridge.index) ?? bridge;
    const hostNow = nl.linkByIndex(host.index) ?? host;
    result.interfaces = [
      { name: br.name, mac: br.mac },
      { name: hostNow.name, mac: hostNow.mac },
      { name: container.name, mac: container.mac, sandbox: ctx.env.netns },
      ...extraIfaces,
    ];
    if (c.mtu) for (const i of result.interfaces.slice(1, 3)) i.mtu = c.mtu;
    return finishResult(result, c.dns);
  } catch (e) {
    await undos.run();
    throw e;
  } finally {
    ctrNl.close();
    nl.close();
    fs.closeSync(nsFd);
  }
}
