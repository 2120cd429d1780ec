// Interface settings tuning owns: read them, change them, compare them. Runs inside the
// container netns with a socket opened there.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { Netlink, isNetlinkError, nl as k, type Link } from '../../shared/netlink';
import type { LinkSettings } from '../../shared/conf/tuning';

/** The current values of exactly the fields `wanted` names. */
export function currentSettings(link: Link, wanted: LinkSettings): LinkSettings {
  const cur: LinkSettings = {};
  if (wanted.mac !== undefined) cur.mac = link.mac;
  if (wanted.promisc !== undefined) cur.promisc = link.promisc;
  if (wanted.mtu !== undefined) cur.mtu = link.mtu;
  if (wanted.allmulti !== undefined) cur.allmulti = (link.flags & k.IFF_ALLMULTI) !== 0;
  if (wanted.txQLen !== undefined) cur.txQLen = link.txqlen ?? 0;
  return cur;
}

function setMac(n: Netlink, link: Link, mac: string): void {
  try {
    n.linkSetMac(link.index, mac);
  } catch (e) {
    // Devices without live address change refuse while up: down, change, up again.
    if (!isNetlinkError(e, 'EBUSY') || !link.up) throw e;
    n.linkSetUp(link.index, false);
    try {
      n.linkSetMac(link.index, mac);
    } finally {
      n.linkSetUp(link.index, true);
    }
  }
}

/** In the reference's order: mac, promisc, mtu, allmulti, then txqueuelen. */
export function applySettings(n: Netlink, link: Link, s: LinkSettings): void {
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      throw new CniError(ErrorCode.Internal, `failed to set ${what} of ${link.name}`, (e as Error).message);
    }
  };
  if (s.mac !== undefined && s.mac !== link.mac) step(`MAC address ${s.mac}`, () => setMac(n, link, s.mac!));
  if (s.promisc !== undefined) step('promiscuous mode', () => n.linkSetPromisc(link.index, s.promisc!));
  if (s.mtu !== undefined && s.mtu !== link.mtu) step(`MTU ${s.mtu}`, () => n.linkSetMtu(link.index, s.mtu!));
  if (s.allmulti !== undefined) step('all-multicast mode', () => n.linkSetAllmulti(link.index, s.allmulti!));
  if (s.txQLen !== undefined && s.txQLen !== link.txqlen) step(`txqueuelen ${s.txQLen}`, () => n.linkSetTxqlen(link.index, s.txQLen!));
}

/** Human-readable differences between what is wanted and what the link has. */
export function differences(ifname: string, want: LinkSettings, have: LinkSettings): string[] {
  const out: string[] = [];
  const names: Record<keyof LinkSettings, string> = { mac: 'MAC address', promisc: 'promiscuous mode', mtu: 'MTU', allmulti: 'all-multicast mode', txQLen: 'txQLen' };
  for (const key of Object.keys(want) as (keyof LinkSettings)[]) {
    if (want[key] !== have[key]) out.push(`${ifname}: configured ${names[key]} is ${want[key]}, current value is ${have[key]}`);
  }
  return out;
}
