// Throwaway namespaces for the netlink tests, each with a Netlink socket bound inside it, and
// ip(8)/bridge(8) JSON views of the same namespace to check the kernel state independently.
import fs from 'node:fs';
import { Netlink } from '../../../shared/netlink';
import { withNetns } from '../../../shared/netns/netns';
import { createNetns, deleteNetns, netnsPath, sh } from '../../helpers/netns';

export const PREFIX = 'tnl';

export interface Ns {
  name: string;
  path: string;
  nl: Netlink;
  /** An open fd of the namespace, for IFLA_NET_NS_FD. */
  fd: number;
  ip(args: string[]): any;
  bridge(args: string[]): any;
  close(): void;
}

export function makeNs(): Ns {
  const name = createNetns(PREFIX);
  const path = netnsPath(name);
  const nl = withNetns(path, () => Netlink.open());
  const fd = fs.openSync(path, 'r');
  const json = (out: string): any => (out.trim() ? JSON.parse(out) : []);
  return {
    name,
    path,
    nl,
    fd,
    ip: (args) => json(sh(['ip', '-j', '-n', name, ...args])),
    bridge: (args) => json(sh(['bridge', '-j', '-n', name, ...args])),
    close: () => {
      nl.close();
      fs.closeSync(fd);
      deleteNetns(name);
    },
  };
}

/** Deletes every link but lo (a veth's peer goes with it, hence the ENODEV tolerance). */
export function clearLinks(ns: Ns): void {
  for (const l of ns.nl.linkList()) {
    if (l.name === 'lo') continue;
    try {
      ns.nl.linkDel(l.index);
    } catch (e: any) {
      if (e?.code !== 'ENODEV') throw e;
    }
  }
}

/** The link as ip -d shows it. */
export function ipLink(ns: Ns, name: string): any {
  return ns.ip(['-d', 'link', 'show', 'dev', name])[0];
}

/** Expects fn to throw a NetlinkError with this errno name; returns the error. */
export function expectNlError(fn: () => unknown, code: string): Error & { code: string; errno: number } {
  try {
    fn();
  } catch (e: any) {
    if (e?.name !== 'NetlinkError') throw e;
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected NetlinkError ${code}, nothing was thrown`);
}
