// The vocabulary of ownership. Every piece of host state a plugin creates (lease, set/map element,
// rule, chain, dns record, saved file) belongs to one attachment of one network; only that owner's
// DEL or GC may remove it. The wire format keeps the spec's spelling (`containerID`); inside the
// code it is `containerId` everywhere.

/** One interface of one container, as `cni.dev/valid-attachments` lists it (without the network). */
export interface Attachment {
  containerId: string;
  ifname: string;
}

/** The attachment of one network that owns a piece of host state. */
export interface Owner extends Attachment {
  network: string;
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.network === b.network && a.containerId === b.containerId && a.ifname === b.ifname;
}

/** The wire spelling (`cni.dev/valid-attachments`, cache files) of an attachment. */
export const toWire = (a: Attachment): { containerID: string; ifname: string } => ({ containerID: a.containerId, ifname: a.ifname });

/** An attachment as the wire spells it, in the code's spelling. */
export const fromWire = (a: { containerID: string; ifname: string }): Attachment => ({ containerId: a.containerID, ifname: a.ifname });
