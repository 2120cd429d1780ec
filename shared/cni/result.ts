// CNI results in their 1.x shape (what plugins produce) and conversion to and from every
// older shape, following libcni's converters so runtimes of any vintage read what they expect.
import { CniError, ErrorCode } from './error';
import { resultFamily } from './version';

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}
export interface IPConfig {
  interface?: number;
  address: string; // CIDR: address/prefix
  gateway?: string;
}
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}
export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

const isV4 = (addr: string): boolean => !addr.includes(':');

function orderedRoute(r: Route): Route {
  const o: Route = { dst: r.dst };
  if (r.gw) o.gw = r.gw;
  if (r.mtu) o.mtu = r.mtu;
  if (r.advmss) o.advmss = r.advmss;
  if (r.priority) o.priority = r.priority;
  if (r.table) o.table = r.table;
  if (r.scope) o.scope = r.scope;
  return o;
}

function cleanDns(d: DNS | undefined): DNS | undefined {
  if (!d) return undefined;
  const o: DNS = {};
  if (d.nameservers?.length) o.nameservers = d.nameservers;
  if (d.domain) o.domain = d.domain;
  if (d.search?.length) o.search = d.search;
  if (d.options?.length) o.options = d.options;
  return Object.keys(o).length ? o : undefined;
}

function asArray<T>(v: unknown, what: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CniError(ErrorCode.DecodingFailure, `failed to parse result: ${what} must be a list`);
  return v as T[];
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') {
    throw new CniError(ErrorCode.DecodingFailure, `failed to parse result: ${what} must be a non-empty string`);
  }
  return v;
}

/** Parses a result of any version (e.g. a prevResult) into the 1.x shape. */
export function toCurrent(raw: unknown, fallbackVersion: string): Result {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CniError(ErrorCode.DecodingFailure, 'failed to parse result: not a JSON object');
  }
  const r = raw as Record<string, any>;
  const version = typeof r.cniVersion === 'string' && r.cniVersion ? r.cniVersion : fallbackVersion;
  const out: Result = { cniVersion: version };
  if (resultFamily(version) === '0.2') {
    const ips: IPConfig[] = [];
    const routes: Route[] = [];
    for (const key of ['ip4', 'ip6'] as const) {
      const ipc = r[key];
      if (!ipc) continue;
      const ip: IPConfig = { address: requireString(ipc.ip, `${key}.ip`) };
      if (ipc.gateway) ip.gateway = String(ipc.gateway);
      ips.push(ip);
      for (const [n, rt] of asArray<Route>(ipc.routes, `${key}.routes`).entries()) {
        requireString(rt?.dst, `${key}.routes[${n}].dst`);
        routes.push(orderedRoute(rt));
      }
    }
    if (ips.length) out.ips = ips;
    if (routes.length) out.routes = routes;
  } else {
    const ifs = asArray<Interface>(r.interfaces, 'interfaces').map((i, n) => {
      const o: Interface = { name: requireString(i?.name, `interfaces[${n}].name`) };
      if (i.mac) o.mac = i.mac;
      if (i.mtu) o.mtu = i.mtu;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (i.socketPath) o.socketPath = i.socketPath;
      if (i.pciID) o.pciID = i.pciID;
      return o;
    });
    if (ifs.length) out.interfaces = ifs;
    const ips = asArray<IPConfig & { version?: string }>(r.ips, 'ips').map((i, n) => {
      const address = requireString(i?.address, `ips[${n}].address`);
      const o: IPConfig = typeof i.interface === 'number' ? { interface: i.interface, address } : { address };
      if (i.gateway) o.gateway = i.gateway;
      return o;
    });
    if (ips.length) out.ips = ips;
    const routes = asArray<Route>(r.routes, 'routes').map((rt, n) => {
      requireString(rt?.dst, `routes[${n}].dst`);
      return orderedRoute(rt);
    });
    if (routes.length) out.routes = routes;
  }
  const dns = cleanDns(r.dns);
  if (dns) out.dns = dns;
  return out;
}

/** Renders a 1.x-shaped result in the JSON shape of `version`. */
export function toVersion(res: Result, version: string): Record<string, unknown> {
  const fam = resultFamily(version);
  const dns = cleanDns(res.dns);
  if (fam === '0.2') {
    const out: Record<string, unknown> = { cniVersion: version };
    const v4 = res.ips?.find((i) => isV4(i.address));
    const v6 = res.ips?.find((i) => !isV4(i.address));
    for (const [key, ip, fam4] of [['ip4', v4, true], ['ip6', v6, false]] as const) {
      if (!ip) continue;
      const o: Record<string, unknown> = { ip: ip.address };
      if (ip.gateway) o.gateway = ip.gateway;
      const routes = (res.routes ?? []).filter((r) => isV4(r.dst) === fam4).map(orderedRoute);
      if (routes.length) o.routes = routes;
      out[key] = o;
    }
    if (dns) out.dns = dns;
    return out;
  }
  const out: Record<string, unknown> = { cniVersion: version };
  if (res.interfaces?.length) {
    out.interfaces = res.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac) o.mac = i.mac;
      if (fam === '1.0' && i.mtu) o.mtu = i.mtu;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (fam === '1.0' && i.socketPath) o.socketPath = i.socketPath;
      if (fam === '1.0' && i.pciID) o.pciID = i.pciID;
      return o;
    });
  }
  if (res.ips?.length) {
    out.ips = res.ips.map((i) => {
      const o: Record<string, unknown> = {};
      if (fam === '0.4') o.version = isV4(i.address) ? '4' : '6';
      if (i.interface !== undefined) o.interface = i.interface;
      o.address = i.address;
      if (i.gateway) o.gateway = i.gateway;
      return o;
    });
  }
  if (res.routes?.length) out.routes = res.routes.map(orderedRoute);
  if (dns) out.dns = dns;
  return out;
}

/** Converts a result JSON of any version to any other version (both directions). */
export function convertResult(raw: unknown, fromVersion: string, toVer: string): Record<string, unknown> {
  return toVersion(toCurrent(raw, fromVersion), toVer);
}

/**
 * The last step of a main plugin's ADD: a configured `dns` replaces what IPAM returned (as in the
 * reference plugins), and empty lists are left out of the result.
 */
export function finishResult(result: Result, confDns: DNS | undefined): Result {
  if (confDns && Object.keys(confDns).length) result.dns = confDns;
  if (!result.ips?.length) delete result.ips;
  if (!result.routes?.length) delete result.routes;
  return result;
}
