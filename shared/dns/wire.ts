// The DNS wire format (RFC 1035 §4), only as much as a resolver needs to ask for A/AAAA/PTR
// records and read the answer: CHECK uses it to ask the server, tests to ask from a container.
import { formatIp, ipFromBytes, ipToBytes, parseIp } from '../cni/ip';

export const RecordType = { A: 1, PTR: 12, AAAA: 28 } as const;

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Answer {
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA: the address as text; PTR: the name; anything else: hex of the raw data. */
  data: string;
}

export interface Response {
  id: number;
  rcode: number;
  truncated: boolean;
  answers: Answer[];
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    const b = Buffer.from(label, 'ascii');
    if (b.length > 63) throw new Error(`DNS label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A standard query with recursion desired, one question, class IN. */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, encodeName(name), tail]);
}

/** Reads a possibly compressed name at `at`; returns it and the offset after it in place. */
function decodeName(b: Buffer, at: number): [string, number] {
  const labels: string[] = [];
  let pos = at;
  let end = -1;
  for (let hops = 0; ; hops++) {
    if (hops > 128 || pos >= b.length) throw new Error('malformed DNS name');
    const len = b[pos]!;
    if (len === 0) {
      pos += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | b[pos + 1]!;
      continue;
    }
    labels.push(b.toString('ascii', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return [labels.join('.'), end < 0 ? pos : end];
}

/** Go's text of an AAAA record's 16 bytes, as the addresses it is compared with are written. */
function ipv6Text(raw: Buffer): string {
  return formatIp(ipFromBytes(raw)!);
}

export function decodeResponse(b: Buffer): Response {
  if (b.length < 12) throw new Error('DNS message shorter than its header');
  const id = b.readUInt16BE(0);
  const flags = b.readUInt16BE(2);
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  let pos = 12;
  for (let i = 0; i < qd; i++) pos = decodeName(b, pos)[1] + 4;
  const answers: Answer[] = [];
  for (let i = 0; i < an; i++) {
    const [name, next] = decodeName(b, pos);
    if (next + 10 > b.length) throw new Error('truncated DNS answer');
    const type = b.readUInt16BE(next);
    const ttl = b.readUInt32BE(next + 4);
    const rdlen = b.readUInt16BE(next + 8);
    const rd = next + 10;
    if (rd + rdlen > b.length) throw new Error('truncated DNS record data');
    const raw = b.subarray(rd, rd + rdlen);
    let data: string;
    if (type === RecordType.A && rdlen === 4) data = [...raw].join('.');
    else if (type === RecordType.AAAA && rdlen === 16) data = ipv6Text(raw);
    else if (type === RecordType.PTR) data = decodeName(b, rd)[0];
    else data = raw.toString('hex');
    answers.push({ name, type, ttl, data });
    pos = rd + rdlen;
  }
  return { id, rcode: flags & 0xf, truncated: (flags & 0x0200) !== 0, answers };
}

/** The name to ask for the PTR record of an address (in-addr.arpa / ip6.arpa). */
export function reverseName(text: string): string {
  const ip = parseIp(text);
  if (!ip) throw new Error(`not an IP address: "${text}"`);
  if (ip.family === 4) return formatIp(ip).split('.').reverse().join('.') + '.in-addr.arpa';
  const nibbles = [...ipToBytes(ip)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return [...nibbles].reverse().join('.') + '.ip6.arpa';
}
