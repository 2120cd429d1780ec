// The container's macvlan: created by a request in the master's netns that carries the
// container netns (IFLA_NET_NS_FD), so it is born there with its final name (the kernel checks
// the name in the target netns). Kernels that checked it in the creating netns refused names
// taken on the host: then it is born under a temporary name and renamed inside.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { randomVethName } from '../../shared/link/random-name';
import { isNetlinkError, type Link, type LinkAddOptions, type Netlink } from '../../shared/netlink';
import type { MacvlanMode } from '../../shared/conf/macvlan';

export interface MacvlanOptions {
  ifname: string;
  master: Link;
  mode: MacvlanMode;
  mtu: number;
  mac?: string;
  /** Absent when the master lives in the container netns (creating and container sockets are one). */
  netnsFd?: number;
}

export function createMacvlan(createNl: Netlink, ctrNl: Netlink, o: MacvlanOptions): Link {
  if (ctrNl.linkByName(o.ifname)) throw new CniError(ErrorCode.Internal, `container interface name provided (${o.ifname}) already exists`);
  const spec = (name: string): LinkAddOptions => ({
    name,
    kind: 'macvlan',
    macvlan: { mode: o.mode, link: o.master.index },
    ...(o.mtu ? { mtu: o.mtu } : {}),
    ...(o.mac ? { mac: o.mac } : {}),
    ...(o.netnsFd !== undefined ? { netnsFd: o.netnsFd } : {}),
  });
  const fail = (e: unknown): never => {
    throw new CniError(ErrorCode.Internal, `failed to create macvlan ${o.ifname} on ${o.master.name}`, (e as Error).message);
  };
  try {
    createNl.linkAdd(spec(o.ifname));
  } catch (e) {
    if (!isNetlinkError(e, 'EEXIST') || o.netnsFd === undefined || ctrNl.linkByName(o.ifname)) fail(e);
    const tmp = randomVethName('mv');
    try {
      createNl.linkAdd(spec(tmp));
    } catch (e2) {
      fail(e2);
    }
    const born = ctrNl.linkByName(tmp);
    if (!born) throw new CniError(ErrorCode.Internal, `macvlan ${tmp} vanished right after creation`);
    try {
      ctrNl.linkRename(born.index, o.ifname);
    } catch (e3) {
      ctrNl.linkDel(born.index);
      throw new CniError(ErrorCode.Internal, `failed to rename macvlan to ${o.ifname}`, (e3 as Error).message);
    }
  }
  const link = ctrNl.linkByName(o.ifname);
  if (!link) throw new CniError(ErrorCode.Internal, `macvlan ${o.ifname} vanished right after creation`);
  return link;
}
