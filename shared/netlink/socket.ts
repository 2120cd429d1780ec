// One netlink socket (NETLINK_ROUTE unless told otherwise): synchronous request/ack, dump and
// batch, matched by sequence number.
// The socket is bound in the netns of the thread that opened it and stays there (a socket's
// netns is fixed at creation),
// so a caller may open it inside withNetns and keep using it after coming back.
import { libc } from '../sys/libc';
import {
  AF_NETLINK, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, NETLINK_ROUTE,
  NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLMSGERR_ATTR_MSG, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED,
  NLMSGERR_ATTR_OFFS, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST, SOCK_CLOEXEC, SOCK_RAW, SOL_NETLINK, SOL_SOCKET,
  SO_RCVTIMEO, SO_SNDBUF, SO_SNDBUFFORCE,
} from './constants';
import { NLMSG_HDRLEN, align, decodeMessages, encodeMessage, iterAttrs, type NlMsg } from './codec';
import { NetlinkError } from './error';

const EINTR = 4;
const EAGAIN = 11;
const ETIMEDOUT = 110;
const EBADF = 9;
const EPROTO = 71;

/** Large enough for any dump datagram the kernel builds (it caps them at 32 KiB). */
const RECV_SIZE = 64 * 1024;
/** A kernel that does not answer within this time is treated as an error, never a hang. */
const RECV_TIMEOUT_S = 30;
/** Below this a batch fits the default send buffer (wmem_default is 208 KiB on Linux). */
const SNDBUF_DEFAULT_MIN = 128 * 1024;
/** A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried this many times. */
const DUMP_RETRIES = 5;

function setIntOpt(fd: number, level: number, name: number, value: number): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  // Best effort: older kernels lack some options and the socket still works without them.
  libc().setsockopt(fd, level, name, v, 4);
}

export interface NlAck {
  errno: number;
  /** The kernel's extended ack text. */
  extAck?: string;
  /** Byte offset, from the start of the request's nlmsghdr, of the attribute the kernel blamed. */
  offset?: number;
}

/** The error code and extended-ack text/offset carried by an NLMSG_ERROR or NLMSG_DONE payload. */
export function parseErrorPayload(m: NlMsg): NlAck {
  const errno = m.payload.length >= 4 ? Math.abs(m.payload.readInt32LE(0)) : 0;
  if (!(m.flags & NLM_F_ACK_TLVS)) return { errno };
  let tlvAt = 4;
  if (m.type === NLMSG_ERROR) {
    // The echoed request: only its header when capped, the whole message otherwise.
    const origLen = m.payload.length >= 4 + NLMSG_HDRLEN ? m.payload.readUInt32LE(4) : NLMSG_HDRLEN;
    tlvAt = 4 + (m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align(origLen));
  }
  const out: NlAck = { errno };
  for (const [type, value] of iterAttrs(m.payload, tlvAt)) {
    if (type === NLMSGERR_ATTR_MSG) {
      const z = value.indexOf(0);
      out.extAck = value.toString('utf8', 0, z < 0 ? value.length : z);
    } else if (type === NLMSGERR_ATTR_OFFS && value.length >= 4) out.offset = value.readUInt32LE(0);
  }
  return out;
}

/** One message of a batch: NLM_F_REQUEST is added; NLM_F_ACK asks for its own answer. */
export interface BatchMsg {
  type: number;
  flags: number;
  parts: Buffer[];
}

export class NetlinkSocket {
  private seq: number;
  private buf = Buffer.allocUnsafe(RECV_SIZE);
  private fd: number;

  private constructor(fd: number) {
    this.fd = fd;
    // Start from a time-derived number so replies to an earlier socket's requests never match.
    this.seq = (Date.now() & 0x7fffffff) >>> 0;
  }

  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    const c = libc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw new NetlinkError(c.errno(), 'netlink socket');
    try {
      setIntOpt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
      setIntOpt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
      // Strict checking makes the kernel honour dump filters (ifindex, table) instead of
      // ignoring them, so a filtered dump costs what it returns.
      setIntOpt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      const tv = Buffer.alloc(16);
      tv.writeBigInt64LE(BigInt(RECV_TIMEOUT_S), 0);
      c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
      const sa = Buffer.alloc(12); // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
      sa.writeUInt16LE(AF_NETLINK, 0);
      if (c.bind(fd, sa, sa.length) < 0) throw new NetlinkError(c.errno(), 'netlink bind');
    } catch (e) {
      c.close(fd);
      throw e;
    }
    return new NetlinkSocket(fd);
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }

  private growSendBuffer(len: number): void {
    // SO_SNDBUFFORCE passes rmem/wmem_max (we are root for firewall work); SO_SNDBUF is the
    // unprivileged attempt. The kernel doubles the value for its own bookkeeping.
    const want = len + 64 * 1024;
    setIntOpt(this.fd, SOL_SOCKET, SO_SNDBUFFORCE, want);
    setIntOpt(this.fd, SOL_SOCKET, SO_SNDBUF, want);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private send(msg: Buffer, what: string): void {
    if (this.fd < 0) throw new NetlinkError(EBADF, `${what}: netlink socket is closed`);
    const c = libc();
    for (;;) {
      const n = c.send(this.fd, msg, msg.length, 0);
      if (n >= 0) return;
      const e = c.errno();
      if (e !== EINTR) throw new NetlinkError(e, `${what}: send`);
    }
  }

  /**
   * One datagram, never truncated: peek at its real size first and grow the buffer if needed.
   * With `poll`, undefined when nothing is queued instead of waiting.
   */
  private recvDatagram(what: string): NlMsg[];
  private recvDatagram(what: string, poll: true): NlMsg[] | undefined;
  private recvDatagram(what: string, poll = false): NlMsg[] | undefined {
    const c = libc();
    const wait = poll ? MSG_DONTWAIT : 0;
    for (;;) {
      let n = c.recv(this.fd, this.buf, this.buf.length, MSG_PEEK | MSG_TRUNC | wait);
      if (n >= 0 && n > this.buf.length) this.buf = Buffer.allocUnsafe(align(n));
      if (n >= 0) n = c.recv(this.fd, this.buf, this.buf.length, wait);
      if (n >= 0) return decodeMessages(Buffer.from(this.buf.subarray(0, n)));
      const e = c.errno();
      if (e === EINTR) continue;
      if (poll && e === EAGAIN) return undefined;
      if (e === EAGAIN) throw new NetlinkError(ETIMEDOUT, `${what}: no answer from the kernel within ${RECV_TIMEOUT_S}s`);
      throw new NetlinkError(e, `${what}: recv`);
    }
  }

  /**
   * Sends one request and waits for its acknowledgement. Returns the reply messages the kernel
   * sent before the ack (a GET's answer); throws NetlinkError on a negative ack.
   */
  request(type: number, flags: number, parts: Buffer[], what: string): NlMsg[] {
    const seq = this.nextSeq();
    this.send(encodeMessage(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq, parts), what);
    const replies: NlMsg[] = [];
    for (;;) {
      for (const m of this.recvDatagram(what)) {
        if (m.seq !== seq) continue; // a late answer to an abandoned request
        if (m.type === NLMSG_ERROR) {
          const { errno, extAck, offset } = parseErrorPayload(m);
          if (errno !== 0) throw new NetlinkError(errno, what, extAck, offset);
          return replies;
        }
        if (m.type === NLMSG_NOOP) continue;
        replies.push(m);
      }
    }
  }

  /** Runs a dump to its NLMSG_DONE and returns every message; retried when interrupted. */
  dump(type: number, parts: Buffer[], what: string): NlMsg[] {
    for (let attempt = 0; ; attempt++) {
      const { msgs, interrupted } = this.dumpOnce(type, parts, what);
      if (!interrupted || attempt >= DUMP_RETRIES) return msgs;
    }
  }

  private dumpOnce(type: number, parts: Buffer[], what: string): { msgs: NlMsg[]; interrupted: boolean } {
    const seq = this.nextSeq();
    this.send(encodeMessage(type, NLM_F_REQUEST | NLM_F_DUMP, seq, parts), what);
    const msgs: NlMsg[] = [];
    let interrupted = false;
    for (;;) {
      for (const m of this.recvDatagram(what)) {
        if (m.seq !== seq) continue;
        if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
          const { errno, extAck, offset } = parseErrorPayload(m);
          if (errno !== 0) throw new NetlinkError(errno, what, extAck, offset);
          return { msgs, interrupted };
        }
        if (m.type === NLMSG_OVERRUN) throw new NetlinkError(EPROTO, `${what}: netlink overrun`);
        if (m.type === NLMSG_NOOP) continue;
        msgs.push(m);
        // A non-multipart answer to a dump request is complete by itself.
        if (!(m.flags & NLM_F_MULTI)) return { msgs, interrupted };
      }
    }
  }

  /**
   * Sends the messages as one datagram (an nfnetlink batch: BEGIN, changes, END) and returns
   * the answer to each, in order: the kernel's ack (errno 0) or error, or undefined when the
   * message had no NLM_F_ACK and did not fail. The kernel processes the whole batch inside the
   * send, so every answer is queued when send returns: answers are read until each acked
   * message has one, and the rest of the queue is drained without waiting when the batch as a
   * whole was refused (an error on the first message: a stale generation id, a failed commit).
   */
  batch(msgs: BatchMsg[], what: string): (NlAck | undefined)[] {
    const first = this.seq + 1;
    const seqs = msgs.map(() => this.nextSeq());
    const wire = Buffer.concat(msgs.map((m, i) => encodeMessage(m.type, NLM_F_REQUEST | m.flags, seqs[i]!, m.parts)));
    // The kernel refuses a datagram larger than the socket's send buffer (EMSGSIZE); a batch is
    // one datagram, so a large one (a GC of thousands of elements) widens the buffer first.
    if (wire.length > SNDBUF_DEFAULT_MIN) this.growSendBuffer(wire.length);
    this.send(wire, what);
    const acks: (NlAck | undefined)[] = msgs.map(() => undefined);
    let pending = msgs.filter((m) => m.flags & NLM_F_ACK).length;
    let refused = false;
    const take = (ms: NlMsg[]): void => {
      for (const m of ms) {
        const i = (m.seq - first) >>> 0;
        if (m.type !== NLMSG_ERROR || i >= msgs.length || m.seq !== seqs[i]) continue; // not ours
        const ack = parseErrorPayload(m);
        if (acks[i] === undefined && msgs[i]!.flags & NLM_F_ACK) pending--;
        if (acks[i] === undefined || ack.errno) acks[i] = ack;
        if (i === 0 && ack.errno) refused = true;
      }
    };
    while (pending > 0 && !refused) take(this.recvDatagram(what));
    for (let ms = this.recvDatagram(what, true); ms; ms = this.recvDatagram(what, true)) take(ms);
    return acks;
  }
}
