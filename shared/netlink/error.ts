// A kernel (or input) error from a netlink request, carrying the errno name so callers can
// branch on it (EEXIST on a duplicate, ENODEV on a missing link) and the kernel's extended ack
// text when it sent one ("Invalid prefix for given prefix length" and such).
import { errnoName } from '../sys/errno';

export class NetlinkError extends Error {
  readonly code: string;

  constructor(
    readonly errno: number,
    detail?: string,
    /** The kernel's extended ack message, when present. */
    readonly extAck?: string,
    /** Where in the request the kernel found the fault (extended ack offset from the nlmsghdr). */
    readonly offset?: number,
  ) {
    const code = errnoName(errno);
    const parts = [detail, extAck].filter(Boolean).join(': ');
    super(parts ? `${parts} (${code})` : code);
    this.name = 'NetlinkError';
    this.code = code;
  }
}

export const isNetlinkError = (e: unknown, code?: string): e is NetlinkError =>
  e instanceof NetlinkError && (code === undefined || e.code === code);
