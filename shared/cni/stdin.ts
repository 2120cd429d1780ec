// Reads the whole config from fd 0 synchronously, with a cap: a runtime never sends megabytes,
// and an unbounded read is how a hostile caller exhausts memory on every node.
import fs from 'node:fs';
import { sleepSync } from '../sys/sleep';
import { CniError, ErrorCode } from './error';

export const STDIN_LIMIT = 4 * 1024 * 1024;

export function readStdin(limit = STDIN_LIMIT): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e: any) {
      if (e.code === 'EAGAIN') {
        sleepSync(2);
        continue;
      }
      if (e.code === 'EOF' || e.code === 'EBADF') break;
      throw new CniError(ErrorCode.IoFailure, 'error reading from stdin', String(e.message));
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new CniError(ErrorCode.IoFailure, `stdin is larger than ${limit} bytes`);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

export function parseJsonObject(data: Buffer | string, what = 'network config'): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(data.toString());
  } catch (e: any) {
    throw new CniError(ErrorCode.DecodingFailure, `error unmarshall ${what}`, String(e.message));
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CniError(ErrorCode.DecodingFailure, `error unmarshall ${what}`, 'expected a JSON object');
  }
  return v as Record<string, unknown>;
}
