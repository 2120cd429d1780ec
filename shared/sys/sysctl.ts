// Kernel settings under /proc/sys, as named operations. The file shows the netns of the thread
// that opens it, so call these inside withNetns (shared/netns/netns.ts) for a container's settings.
// No plugin writes a /proc/sys path itself; tuning's user-given keys go through sysctlGet/Set.
import fs from 'node:fs';

// Keys are slash-separated (net/ipv4/conf/eth0/forwarding): interface names may contain dots.
const path = (key: string): string => `/proc/sys/${key}`;

export function sysctlGet(key: string): string {
  return fs.readFileSync(path(key), 'utf8').trim();
}

export function sysctlSet(key: string, value: string): void {
  fs.writeFileSync(path(key), value);
}

/** Writes only when the value differs: avoids needless writes on every ADD. */
export function sysctlEnsure(key: string, value: string): void {
  if (sysctlGet(key) !== value) sysctlSet(key, value);
}

/** For settings that may not exist: IPv6 keys are missing when IPv6 is disabled. */
export function trySet(key: string, value: string): void {
  try {
    sysctlSet(key, value);
  } catch {
    /* the key does not exist (IPv6 disabled in this namespace) */
  }
}

const forwardingKey = (family: 4 | 6): string => (family === 4 ? 'net/ipv4/ip_forward' : 'net/ipv6/conf/all/forwarding');

/** The host routes between its interfaces for this family (a gateway needs it). */
export function enableForwarding(family: 4 | 6): void {
  sysctlEnsure(forwardingKey(family), '1');
}

export function forwardingEnabled(family: 4 | 6): boolean {
  return sysctlGet(forwardingKey(family)) === '1';
}

/** The sysctl's name as `sysctl -a` prints it, for messages. */
export const forwardingName = (family: 4 | 6): string => forwardingKey(family).replace(/\//g, '.');

/** A host-side device of a container network must not autoconfigure from router adverts. */
export function disableAcceptRa(ifname: string): void {
  trySet(`net/ipv6/conf/${ifname}/accept_ra`, '0');
}

/** IPv6 duplicate address detection on a container interface (enhanced DAD when on). */
export function setDad(ifname: string, enabled: boolean): void {
  if (enabled) {
    trySet(`net/ipv6/conf/${ifname}/enhanced_dad`, '1');
    trySet(`net/ipv6/conf/${ifname}/accept_dad`, '1');
  } else {
    trySet(`net/ipv6/conf/${ifname}/accept_dad`, '0');
  }
}

/** Neighbours learn a new interface's MAC at once: gratuitous ARP (v4) and unsolicited NA (v6). */
export function enableArpNotify(ifname: string): void {
  trySet(`net/ipv4/conf/${ifname}/arp_notify`, '1');
}

export function enableNdiscNotify(ifname: string): void {
  trySet(`net/ipv6/conf/${ifname}/ndisc_notify`, '1');
}

/** IPv6 on for lo and the interface, keeping addresses when the link goes down. */
export function enableIpv6(ifname: string): void {
  trySet('net/ipv6/conf/lo/disable_ipv6', '0');
  trySet(`net/ipv6/conf/${ifname}/disable_ipv6`, '0');
  trySet(`net/ipv6/conf/${ifname}/keep_addr_on_down`, '1');
}
