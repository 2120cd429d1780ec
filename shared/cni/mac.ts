// A MAC address as configs, CNI_ARGS and the `mac` capability write it: six colon-separated hex
// octets. The one definition for schemas, CNI_ARGS and the netlink codec.
import { z } from 'zod';

export const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

export const isMac = (s: string): boolean => MAC_RE.test(s);

/** The config field: rejected with a message naming the expected form. */
export const macSchema = z.string().regex(MAC_RE, 'must be a MAC address like c2:11:22:33:44:55');
