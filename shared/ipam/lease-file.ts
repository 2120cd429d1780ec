// What a lease file holds, byte for byte as the reference writes it: "<containerID>\r\n<ifname>"
// with no trailing newline. Files of old releases hold only "<containerID>".
import type { Attachment } from '../cni/owner';

export const LINE_BREAK = '\r\n';
export const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
export const LOCK_NAME = 'lock';

export type LeaseContent =
  | { kind: 'owner'; containerId: string; ifname: string; key: string }
  | { kind: 'legacy'; containerId: string; key: string }
  | { kind: 'garbage'; reason: string };

/** The exact file body for an owner. */
export const leaseBody = (o: Attachment): string => `${o.containerId.trim()}${LINE_BREAK}${o.ifname}`;

/** The key a lease is matched by (the reference compares the whitespace-trimmed body). */
export const ownerKey = (o: Attachment): string => leaseBody(o).trim();
export const legacyKey = (containerId: string): string => containerId.trim();

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

export function parseLease(body: string): LeaseContent {
  const key = body.trim();
  if (key === '') return { kind: 'garbage', reason: 'empty lease file (an interrupted write?)' };
  const parts = key.split(LINE_BREAK);
  if (parts.length === 1) {
    return ID_RE.test(key) ? { kind: 'legacy', containerId: key, key } : { kind: 'garbage', reason: 'content is not a container ID' };
  }
  if (parts.length === 2 && ID_RE.test(parts[0]!) && parts[1] !== '' && !/[\s/:]/.test(parts[1]!)) {
    return { kind: 'owner', containerId: parts[0]!, ifname: parts[1]!, key };
  }
  return { kind: 'garbage', reason: 'content is not "<containerID>\\r\\n<ifname>"' };
}
