// The host-side network objects of one overlay: ensured at ADD, verified at CHECK, torn down only
// when asked (removeWhenIdle). Peer entries and the firewall's peer set are reconciled at every
// sync point (ADD, CHECK, GC): that is how a changed peer list reaches existing hosts.
import { CniError, ErrorCode } from '../cni/error';
import { ensureBridge } from '../link/bridge';
import type { Link, Netlink } from '../netlink';
import { DeviceConflictError, ensureVxlanDevice } from './device';
import { currentEntries, describeEntries, diffEntries, isEmptyEntries, reconcileEntries } from './entries';
import { applyFirewall, removeFirewall } from './firewall';
import { disableAcceptRa, enableForwarding, forwardingEnabled, forwardingName } from '../sys/sysctl';
import type { Plan } from './plan';

export function ensureOverlay(nl: Netlink, plan: Plan): Link {
  const o = plan.overlay;
  let dev: Link;
  let created: boolean;
  try {
    ({ link: dev, created } = ensureVxlanDevice(nl, plan.spec));
  } catch (e) {
    if (e instanceof DeviceConflictError) throw new CniError(ErrorCode.InvalidNetworkConfig, e.message);
    throw e;
  }
  if (created) disableAcceptRa(dev.name);

  if (o.mode === 'l2') {
    const { bridge } = ensureBridge(nl, { name: o.bridge, mtu: plan.mtu, vlanFiltering: false, promisc: false });
    if (dev.master && dev.master !== bridge.index) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `vxlan device ${dev.name} is a port of another master (ifindex ${dev.master}), not of bridge ${o.bridge}`);
    }
    if (!dev.master) nl.linkSetMaster(dev.index, bridge.index);
    if (bridge.mtu !== plan.mtu) nl.linkSetMtu(bridge.index, plan.mtu);
  } else {
    // flannel's trick: the node subnet's network address as a host route on the device gives
    // host-to-container traffic a source inside the overlay and creates no subnet route.
    const want = plan.deviceAddr!;
    const family = o.network.family;
    const addrs = nl.addrList({ index: dev.index, family }).filter((a) => a.scope === 0);
    if (!addrs.some((a) => a.cidr === want)) nl.addrAdd(dev.index, want, { noDad: true });
    for (const a of addrs) if (a.cidr !== want) nl.addrDel(dev.index, a.cidr);
    enableForwarding(family);
  }
  reconcileEntries(nl, dev.index, plan.entries, plan.spec.group);
  applyFirewall(plan.firewall);
  return nl.linkByIndex(dev.index) ?? dev;
}

/** CHECK: what differs from the plan besides the device attributes (checked by the caller). */
export function overlayDrift(nl: Netlink, plan: Plan, dev: Link): string[] {
  const o = plan.overlay;
  const problems: string[] = [];
  if (o.mode === 'l2') {
    const br = nl.linkByName(o.bridge);
    if (!br) problems.push(`bridge ${o.bridge} does not exist`);
    else {
      if (dev.master !== br.index) problems.push(`vxlan device ${dev.name} is not a port of bridge ${o.bridge}`);
      if (br.mtu !== plan.mtu) problems.push(`bridge ${o.bridge} mtu is ${br.mtu}, expected ${plan.mtu}`);
    }
  } else {
    const have = nl.addrList({ index: dev.index }).map((a) => a.cidr);
    if (!have.includes(plan.deviceAddr!)) problems.push(`vxlan device ${dev.name} lacks its address ${plan.deviceAddr}`);
    if (!forwardingEnabled(o.network.family)) problems.push(`forwarding is off (${forwardingName(o.network.family)} = 0)`);
  }
  const diff = diffEntries(plan.entries, currentEntries(nl, dev.index, plan.spec.group));
  if (!isEmptyEntries(diff.missing)) problems.push(`missing peer entries: ${describeEntries(diff.missing).join(', ')}`);
  if (!isEmptyEntries(diff.stale)) problems.push(`stale peer entries: ${describeEntries(diff.stale).join(', ')}`);
  return problems;
}

/** removeWhenIdle: once no container is attached to the bridge, the device and bridge go. */
export function teardownIfIdle(nl: Netlink, plan: { overlay: { name: string; device: string; bridge: string } }): boolean {
  const o = plan.overlay;
  const br = nl.linkByName(o.bridge);
  const dev = nl.linkByName(o.device);
  if (br) {
    const ports = nl.linkList().filter((l) => l.master === br.index && l.index !== dev?.index);
    if (ports.length) return false;
  }
  if (dev) nl.linkDel(dev.index);
  if (br && br.kind === 'bridge') nl.linkDel(br.index);
  removeFirewall(o.name);
  return true;
}
