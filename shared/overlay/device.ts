// The shared vxlan device: compare, then create or reuse (flannel's ensureLink), but a device
// that differs in anything that changes the wire format is an error, never silently replaced:
// other containers may depend on it. MTU, MAC and the up flag are ours to correct.
import { isNetlinkError, type Link, type Netlink } from '../netlink';
import { canonicalIp, ipFamily } from '../cni/ip';

export interface VxlanSpec {
  name: string;
  vni: number;
  port: number;
  /** Underlay address (local). */
  local: string;
  /** Underlay ifindex (dev). */
  underlayIndex: number;
  underlayName: string;
  learning: boolean;
  group?: string;
  mtu: number;
  mac: string;
}

export class DeviceConflictError extends Error {}

/** What differs between an existing link and the spec, in wire-format terms; [] when compatible. */
/** Attributes that differ from the spec; `learning` only when asked (it can be changed live). */
export function vxlanProblems(link: Link, spec: VxlanSpec, withLearning = true): string[] {
  if (link.kind !== 'vxlan') return [`${link.name} exists but is a ${link.kind ?? 'non-vxlan'} device`];
  const v = link.vxlan ?? { id: -1 };
  const p: string[] = [];
  const same = (a?: string, b?: string): boolean => (a ? canonicalIp(a) : undefined) === (b ? canonicalIp(b) : undefined);
  if (v.id !== spec.vni) p.push(`vni is ${v.id}, config says ${spec.vni}`);
  if (v.port !== spec.port) p.push(`port is ${v.port ?? 'unset'}, config says ${spec.port}`);
  if (!same(v.local, spec.local)) p.push(`local is ${v.local ?? 'unset'}, config says ${spec.local}`);
  if (v.link !== spec.underlayIndex) p.push(`dev is ifindex ${v.link ?? 'unset'}, config says ${spec.underlayName} (ifindex ${spec.underlayIndex})`);
  if (!same(v.group, spec.group)) p.push(`group is ${v.group ?? 'unset'}, config says ${spec.group ?? 'unset'}`);
  if (withLearning && v.learning !== undefined && v.learning !== spec.learning) p.push(`learning is ${v.learning ? 'on' : 'off'}, config says ${spec.learning ? 'on' : 'off'}`);
  return p;
}

/** A vxlan device other than `name` that already holds the VNI on this port and family. */
export function findVniHolder(nl: Netlink, spec: VxlanSpec): Link | undefined {
  const fam = ipFamily(spec.local);
  return nl
    .linkList()
    .find((l) => l.kind === 'vxlan' && l.name !== spec.name && l.vxlan?.id === spec.vni && (l.vxlan.port ?? 0) === spec.port && (!l.vxlan.local || ipFamily(l.vxlan.local) === fam));
}

function conflict(spec: VxlanSpec, problems: string[]): DeviceConflictError {
  return new DeviceConflictError(`vxlan device ${spec.name} exists with different attributes (${problems.join('; ')}); it is left alone: fix the config or remove the device`);
}

export function ensureVxlanDevice(nl: Netlink, spec: VxlanSpec): { link: Link; created: boolean } {
  let link = nl.linkByName(spec.name);
  let created = false;
  if (!link) {
    const holder = findVniHolder(nl, spec);
    if (holder) throw new DeviceConflictError(`VNI ${spec.vni} on port ${spec.port} is already used by device ${holder.name}`);
    try {
      nl.linkAdd({
        name: spec.name,
        kind: 'vxlan',
        mtu: spec.mtu,
        mac: spec.mac,
        vxlan: { id: spec.vni, port: spec.port, local: spec.local, link: spec.underlayIndex, learning: spec.learning, ...(spec.group && { group: spec.group }) },
      });
      created = true;
    } catch (e) {
      // Another ADD of this network may have won the race: then compare what it made.
      if (!(isNetlinkError(e) && e.code === 'EEXIST')) throw e;
    }
    link = nl.linkByName(spec.name);
    if (!link) throw new DeviceConflictError(`vxlan device ${spec.name} vanished right after creation`);
  }
  const problems = vxlanProblems(link, spec, false);
  if (problems.length) throw conflict(spec, problems);
  if (link.vxlan?.learning !== undefined && link.vxlan.learning !== spec.learning) nl.vxlanSetLearning(link.index, spec.learning);
  if (link.mtu !== spec.mtu) nl.linkSetMtu(link.index, spec.mtu);
  if (link.mac !== spec.mac) nl.linkSetMac(link.index, spec.mac);
  if (!link.up) nl.linkSetUp(link.index);
  return { link: nl.linkByIndex(link.index) ?? link, created };
}

/** CHECK: everything ensureVxlanDevice would correct or refuse, as messages. */
export function deviceDrift(link: Link | undefined, spec: VxlanSpec): string[] {
  if (!link) return [`vxlan device ${spec.name} does not exist`];
  const p = vxlanProblems(link, spec);
  if (link.mtu !== spec.mtu) p.push(`mtu is ${link.mtu}, config says ${spec.mtu}`);
  if (link.mac !== spec.mac) p.push(`MAC is ${link.mac}, expected ${spec.mac}`);
  if (!link.up) p.push('device is down');
  return p.map((x) => (x.startsWith(spec.name) ? x : `${spec.name}: ${x}`));
}
