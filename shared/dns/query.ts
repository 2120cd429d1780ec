// A one-question UDP resolver: enough to ask a server whether it serves a name. It runs in the
// netns of the calling thread's process, so callers in a netns must run it as a child process
// there (see test helpers), never after setns on the main thread: a query awaits its answer,
// and a thread inside a netns must come back before anything awaits.
import type * as Dgram from 'node:dgram';
import { ipFamily } from '../cni/ip';
import { decodeResponse, encodeQuery, type Response } from './wire';

type GetBuiltin = <T>(id: string) => T;
let dg: typeof Dgram | undefined;
/** Loaded on first use: most plugin calls never query, and the start-up snapshot cannot carry it. */
function dgram(): typeof Dgram {
  return (dg ??= (process as unknown as { getBuiltinModule: GetBuiltin }).getBuiltinModule<typeof Dgram>('node:dgram'));
}

export interface QueryOptions {
  port?: number;
  /** Per attempt. */
  timeoutMs?: number;
  tries?: number;
}

function once(server: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const sock = dgram().createSocket(ipFamily(server) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error(`no answer from ${server}:${port} within ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | undefined, res?: Response): void {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(res!);
    }
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      try {
        const res = decodeResponse(msg);
        if (res.id === id) finish(undefined, res); // anything else is a stray datagram
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.send(query, port, server, (e) => e && finish(e));
  });
}

/** Asks `server` for `name`/`type`; retries on silence (UDP may drop), not on an answer. */
export async function queryDns(server: string, name: string, type: number, o: QueryOptions = {}): Promise<Response> {
  const tries = o.tries ?? 3;
  let last: Error | undefined;
  for (let i = 0; i < tries; i++) {
    const id = Math.floor(Math.random() * 0x10000);
    try {
      return await once(server, o.port ?? 53, encodeQuery(id, name, type), id, o.timeoutMs ?? 500);
    } catch (e) {
      last = e as Error;
    }
  }
  throw last ?? new Error('no DNS query was sent');
}
