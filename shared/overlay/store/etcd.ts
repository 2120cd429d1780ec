// The etcd connection. The client (grpc, http2, dns, tls) is loaded on first use with a dynamic
// import: the executable starts from a V8 snapshot of every initialised module, and grpc must
// not be part of it (nor cost start-up time for plugins that never talk to a store).
import fs from 'node:fs';
import type { Etcd3, Namespace } from 'etcd3';
import { CniError, ErrorCode } from '../../cni/error';
import { ETCD_PROTO } from './etcd-proto';
import { storePrefix, type StoreConf } from './schema';

/** The store did not answer (or refused in a way retrying may fix): CNI code 11 territory. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly where: string,
    override readonly cause: unknown,
  ) {
    super(`etcd at ${where} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface StoreHandle {
  client: Etcd3;
  /** Every key below is relative to the network's prefix. */
  ns: Namespace;
  prefix: string;
  /** "etcd http://…" for messages. */
  where: string;
  timeoutMs: number;
  close(): void;
}

function readTlsFile(file: string, field: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: field "store.tls.${field}": cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

type Etcd3Module = typeof import('etcd3');
let loaded: Etcd3Module | undefined;

/**
 * Requires the client, serving its .proto files from the bundle: the client reads them from
 * <its dir>/../proto at require time, a path that only exists in node_modules.
 */
async function loadEtcd3(): Promise<Etcd3Module> {
  if (loaded) return loaded;
  const real = fs.readFileSync;
  const served = (p: unknown): string | undefined => {
    if (typeof p !== 'string') return undefined;
    const m = /[\\/]proto[\\/]([a-z]+\.proto)$/.exec(p);
    return m && !fs.existsSync(p) ? ETCD_PROTO[m[1]!] : undefined;
  };
  fs.readFileSync = function (this: unknown, p: unknown, ...rest: unknown[]) {
    const text = served(p);
    if (text !== undefined) return rest.length && rest[0] !== null && rest[0] !== undefined ? text : Buffer.from(text);
    return (real as (...a: unknown[]) => unknown).call(this, p, ...rest);
  } as typeof fs.readFileSync;
  try {
    loaded = await import('etcd3');
  } finally {
    fs.readFileSync = real;
  }
  return loaded;
}

/** A retry policy shaped like cockatiel's: one attempt per endpoint, no backoff, no breaker. */
function oncePerEndpoint(endpoints: number): { execute<T>(fn: (c: { attempt: number; signal: AbortSignal }) => Promise<T>): Promise<T> } {
  return {
    async execute(fn) {
      let last: unknown;
      for (let attempt = 0; attempt < endpoints; attempt++) {
        try {
          return await fn({ attempt, signal: new AbortController().signal });
        } catch (e) {
          last = e;
        }
      }
      throw last;
    },
  };
}

export async function openStore(s: StoreConf, network: string): Promise<StoreHandle> {
  const credentials = s.tls
    ? {
        rootCertificate: readTlsFile(s.tls.ca, 'ca'),
        ...(s.tls.cert && { certChain: readTlsFile(s.tls.cert, 'cert') }),
        ...(s.tls.key && { privateKey: readTlsFile(s.tls.key, 'key') }),
      }
    : undefined;
  const { Etcd3 } = await loadEtcd3();
  const passThrough = { execute: <T>(fn: () => Promise<T>): Promise<T> => fn() };
  const client = new Etcd3({
    hosts: s.endpoints.map((e) => e.replace(/\/$/, '')),
    ...(credentials && { credentials }),
    dialTimeout: s.timeoutMs,
    defaultCallOptions: (c: { isStream: boolean }) => (c.isStream ? {} : { deadline: Date.now() + s.timeoutMs }),
    // The defaults (3 retries, a 5 s circuit breaker, watch backoff up to 30 s) suit a long-lived
    // server; a CNI call must fail fast, and the agent reconnects a watch within a second.
    faultHandling: {
      global: oncePerEndpoint(s.endpoints.length) as never,
      host: () => passThrough as never,
      watchBackoff: { duration: 500, next() { return this; } } as never,
    },
  });
  const prefix = storePrefix(s, network);
  return {
    client,
    ns: client.namespace(`${prefix}/`),
    prefix,
    where: s.endpoints.join(','),
    timeoutMs: s.timeoutMs,
    close: () => client.close(),
  };
}

/** Runs one store operation; any failure of the client itself becomes StoreUnavailableError. */
export async function storeCall<T>(h: StoreHandle, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // Streams (lease keep-alive) carry no deadline of their own.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${h.timeoutMs} ms`)), h.timeoutMs + 500);
    });
    return await Promise.race([fn(), timeout]);
  } catch (e) {
    if (e instanceof CniError || e instanceof StoreUnavailableError) throw e;
    throw new StoreUnavailableError(h.where, new Error(`${what}: ${(e as Error).message ?? String(e)}`));
  } finally {
    clearTimeout(timer);
  }
}
