// host-local IPAM, verb by verb, over the config, the allocator and the store. Used by the
// host-local plugin and, in-process, by any main plugin that delegates to it (delegate.ts).
import { parseCniArgs } from '../cni/args';
import type { CniEnv } from '../cni/env';
import { CniError, ErrorCode } from '../cni/error';
import { log } from '../cni/log';
import type { IPConfig, Result } from '../cni/result';
import { allocate, candidates, type Allocation } from './allocator';
import { DEFAULT_DATA_DIR, type IpamConfig, describeIps, loadIpamConfig } from './config';
import { type Ip, formatIp, parseCidr } from '../cni/ip';
import type { Attachment } from '../cni/owner';
import { legacyKey, ownerKey } from './lease-file';
import { type RangeSet, rangeFor, rangeSetString } from './range';
import { readResolvConf } from './resolv-conf';
import { Store } from './store';

/** What a verb needs: the CNI env, the full config, its version and (optionally) parsed CNI_ARGS. */
export interface IpamRequest {
  env: Pick<CniEnv, 'containerId' | 'ifname' | 'args'>;
  json: Record<string, unknown>;
  cniVersion: string;
  cniArgs?: Map<string, string>;
  prevResult?: Result;
}

function config(req: IpamRequest): IpamConfig {
  return loadIpamConfig(req.json, req.cniArgs ?? parseCniArgs(req.env.args));
}

const ownerOf = (req: IpamRequest): Attachment => ({ containerId: req.env.containerId, ifname: req.env.ifname });

function withStore<T>(conf: IpamConfig, fn: (s: Store) => T): T {
  try {
    const store = Store.open(conf.dataDir, conf.name);
    try {
      return store.transaction(() => fn(store));
    } finally {
      store.close();
    }
  } catch (e) {
    // A full, read-only or failing filesystem is a store I/O failure (code 5), not an internal error.
    const errno = (e as NodeJS.ErrnoException)?.code;
    if (e instanceof CniError || typeof errno !== 'string' || !/^E[A-Z]+$/.test(errno)) throw e;
    throw new CniError(ErrorCode.IoFailure, `IPAM store ${conf.dataDir}/${conf.name}: ${errno}`, (e as Error).message);
  }
}

/** The leases of (id, ifname), or, as the reference falls back to, the legacy leases of id. */
function leasesOf(store: Store, o: Attachment): { key: string; names: string[] } {
  const key = ownerKey(o);
  const names = store.leasesOf(key);
  if (names.length) return { key, names };
  const legacy = legacyKey(o.containerId);
  return { key: legacy, names: store.leasesOf(legacy) };
}

/** Gives each requested address its range set, refusing (before any change) what cannot be met. */
function requestedPerSet(conf: IpamConfig): (Ip | undefined)[] {
  const perSet: (Ip | undefined)[] = conf.rangeSets.map(() => undefined);
  const unmatched: Ip[] = [];
  for (const ip of conf.requested) {
    const i = conf.rangeSets.findIndex((s) => rangeFor(s, ip));
    if (i < 0 || perSet[i]) {
      unmatched.push(ip);
      continue;
    }
    const range = rangeFor(conf.rangeSets[i]!, ip)!;
    if (range.gateway.value === ip.value) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `failed to allocate for range ${i}: requested ip ${formatIp(ip)} is subnet's gateway`);
    }
    perSet[i] = ip;
  }
  if (unmatched.length) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `failed to allocate all requested IPs: ${describeIps(unmatched)}`,
      'each requested IP must lie in a different range set (between its rangeStart and rangeEnd)',
    );
  }
  return perSet;
}

function prefixed(e: unknown, prefix: string): unknown {
  return e instanceof CniError ? new CniError(e.code, `${prefix}: ${e.msg}`, e.details) : e;
}

export function hostLocalAdd(req: IpamRequest): Result {
  const conf = config(req);
  const perSet = requestedPerSet(conf);
  const dns = conf.resolvConf ? readResolvConf(conf.resolvConf) : undefined;
  const owner = ownerOf(req);
  const got = withStore(conf, (store) => {
    const done: Allocation[] = [];
    try {
      conf.rangeSets.forEach((set, i) => {
        try {
          done.push(allocate(store, set, i, owner, perSet[i]));
        } catch (e) {
          throw prefixed(e, `failed to allocate for range ${i}`);
        }
      });
    } catch (e) {
      // A later set failed: give back what the earlier sets reserved in this call.
      for (const a of done) store.release(ownerKey(owner), formatIp(a.ip));
      throw e;
    }
    return done;
  });
  const ips: IPConfig[] = got.map((a) => ({ address: `${formatIp(a.ip)}/${a.range.subnet.prefix}`, gateway: formatIp(a.range.gateway) }));
  const res: Result = { cniVersion: req.cniVersion, ips };
  if (conf.routes.length) res.routes = conf.routes;
  if (dns) res.dns = dns;
  return res;
}

/**
 * Where the store of a config is, for DEL: only `name` and `ipam.dataDir` matter there, so a
 * DEL still releases when the ranges (or CNI_ARGS IP=) no longer validate. The reference fails
 * such a DEL and leaks the lease; DEL is meant to be best-effort.
 */
function storeOnly(req: IpamRequest): IpamConfig {
  try {
    return config(req);
  } catch (e) {
    const ipam = req.json.ipam as Record<string, unknown> | undefined;
    if (!(e instanceof CniError) || typeof req.json.name !== 'string' || !ipam || typeof ipam !== 'object') throw e;
    const dataDir = typeof ipam.dataDir === 'string' && ipam.dataDir ? ipam.dataDir : DEFAULT_DATA_DIR;
    return { name: req.json.name, dataDir, routes: [], rangeSets: [], requested: [] };
  }
}

/** Releases every lease of (id, ifname); nothing to release is success. */
export function hostLocalDel(req: IpamRequest): void {
  const conf = storeOnly(req);
  const owner = ownerOf(req);
  withStore(conf, (store) => {
    const { key, names } = leasesOf(store, owner);
    for (const n of names) store.release(key, n);
  });
}

/**
 * The container must hold a lease (as the reference checks); and every address of prevResult
 * that lies in one of our range sets must be one of its leases (which the reference does not check).
 */
export function hostLocalCheck(req: IpamRequest): void {
  const conf = config(req);
  const owner = ownerOf(req);
  withStore(conf, (store) => {
    const { names } = leasesOf(store, owner);
    if (names.length === 0) {
      throw new CniError(ErrorCode.UnknownContainer, `host-local: Failed to find address added by container ${owner.containerId}`);
    }
    for (const ipc of req.prevResult?.ips ?? []) {
      const c = parseCidr(ipc.address);
      if (!c || !conf.rangeSets.some((s) => rangeFor(s, c.ip))) continue;
      if (!names.includes(formatIp(c.ip))) {
        throw new CniError(
          ErrorCode.Internal,
          `host-local: address ${formatIp(c.ip)} of prevResult is not leased to container ${owner.containerId}`,
          `its leases: ${names.join(', ')}`,
        );
      }
    }
  });
}

/** Releases every lease whose owner is not a valid attachment; keeps going past errors. */
export function hostLocalGc(req: Pick<IpamRequest, 'json' | 'cniArgs' | 'env'>, valid: Attachment[]): void {
  const conf = loadIpamConfig(req.json, req.cniArgs ?? new Map());
  const keep = new Set(valid.map(ownerKey));
  const keepIds = new Set(valid.map((a) => legacyKey(a.containerId)));
  const errors: string[] = [];
  withStore(conf, (store) => {
    for (const l of store.scan()) {
      try {
        const c = l.content;
        if (c.kind === 'owner' && !keep.has(c.key)) store.release(c.key, l.name);
        // A legacy lease names no interface: it goes only when its container has no attachment.
        else if (c.kind === 'legacy' && !keepIds.has(c.key)) store.release(c.key, l.name);
        else if (c.kind === 'garbage') {
          log(`host-local: GC removes ${l.name}: ${c.reason}`);
          store.removeGarbage(l.name);
        }
      } catch (e) {
        errors.push(`${l.name}: ${(e as Error).message}`);
      }
    }
    try {
      store.sweepStaleMarkers();
    } catch (e) {
      errors.push(`owner index: ${(e as Error).message}`);
    }
  });
  if (errors.length) throw new CniError(ErrorCode.IoFailure, 'host-local: GC could not release every stale lease', errors.join('; '));
}

function hasFreeAddress(set: RangeSet, taken: Set<string>): boolean {
  // Each candidate is distinct, so this stops after at most taken.size + 1 of them.
  for (const c of candidates(set)) if (!taken.has(formatIp(c.ip))) return true;
  return false;
}

/** Code 50 when an ADD could not be served: the store is not writable, or a set is full. */
export function hostLocalStatus(req: Pick<IpamRequest, 'json' | 'cniArgs' | 'env'>): void {
  const conf = loadIpamConfig(req.json, req.cniArgs ?? new Map());
  let full: number | undefined;
  try {
    withStore(conf, (store) => {
      store.probeWritable();
      const taken = store.takenNames();
      full = conf.rangeSets.findIndex((s) => !hasFreeAddress(s, taken));
    });
  } catch (e) {
    const why = e instanceof CniError ? `${e.msg}${e.details ? `: ${e.details}` : ''}` : (e as Error).message;
    throw new CniError(ErrorCode.NotAvailable, `host-local: the IPAM store in ${conf.dataDir} is not writable`, why);
  }
  if (full !== undefined && full >= 0) {
    throw new CniError(ErrorCode.NotAvailable, `host-local: no free address in range set ${full}: ${rangeSetString(conf.rangeSets[full]!)}`);
  }
}
