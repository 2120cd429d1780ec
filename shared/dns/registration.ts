// What one attachment publishes: its container name and aliases, and the addresses they resolve
// to. Keyed by the CNI attachment (containerID, ifname), so DEL and GC need nothing else.
import { ErrorCode } from '../cni/error';
import type { Attachment } from '../cni/owner';
import { sameName } from './label';

export interface Registration extends Attachment {
  /** The container's own name; absent when the runtime gave none (it can still resolve others). */
  name?: string;
  aliases: string[];
  /** Plain addresses (no prefix), v4 and v6. */
  ips: string[];
}

export const sameAttachment = (a: Attachment, b: Attachment): boolean =>
  a.containerId === b.containerId && a.ifname === b.ifname;

export const namesOf = (r: Registration): string[] => (r.name ? [r.name, ...r.aliases] : [...r.aliases]);

/** Plugin-specific CNI error code for a name already held on the network. */
export const NAME_CONFLICT = ErrorCode.NameConflict;

/**
 * The duplicate-name rule (Docker's): a container's own name is unique on the network, so it may
 * not equal any name another container publishes, and an alias may not equal another
 * container's own name. Aliases may be shared: a shared alias resolves to every holder's
 * addresses (Docker's `--network-alias` round robin). Returns a description of the clash.
 */
export function nameConflict(existing: readonly Registration[], incoming: Registration): string | undefined {
  for (const other of existing) {
    if (sameAttachment(other, incoming)) continue;
    const holder = `container ${other.containerId} (${other.ifname})`;
    if (incoming.name) {
      const clash = namesOf(other).find((n) => sameName(n, incoming.name!));
      if (clash) return `name "${incoming.name}" is already used by ${holder} as ${clash === other.name ? 'its name' : 'an alias'}`;
    }
    if (other.name) {
      const clash = incoming.aliases.find((a) => sameName(a, other.name!));
      if (clash) return `alias "${clash}" is the name of ${holder}`;
    }
  }
  return undefined;
}

/** Adds or replaces the attachment's registration (a repeated ADD is not a conflict). */
export function upsert(existing: readonly Registration[], r: Registration): Registration[] {
  return [...existing.filter((o) => !sameAttachment(o, r)), r];
}
