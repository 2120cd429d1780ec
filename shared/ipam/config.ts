// The host-local config: the reference's keys, the runtime's ipRanges/ips capabilities, args.cni.ips
// and CNI_ARGS IP=. Everything is validated up front, before the store is touched.
import { z } from 'zod';
import { containerArgs } from '../cni/args';
import { CniError, ErrorCode } from '../cni/error';
import { parseConfig } from '../cni/netconf';
import type { Route } from '../cni/result';
import { atLeast } from '../cni/version';
import { type Ip, formatIp, parseCidr, parseIp } from '../cni/ip';
import { type RangeSet, type RangeSpec, RangeConfigError, canonicalizeRangeSet, familyOf, rangeSetsOverlap } from './range';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

const rangeSpecSchema = z
  .object({
    subnet: z.string(),
    rangeStart: z.string().optional(),
    rangeEnd: z.string().optional(),
    gateway: z.string().optional(),
  })
  .passthrough();
const rangeSetsSchema = z.array(z.array(rangeSpecSchema));

const routeSchema = z
  .object({
    dst: z.string(),
    gw: z.string().optional(),
    mtu: z.number().int().optional(),
    advmss: z.number().int().optional(),
    priority: z.number().int().optional(),
    table: z.number().int().optional(),
    scope: z.number().int().optional(),
  })
  .passthrough();

export const ipamSectionSchema = z
  .object({
    type: z.string().optional(),
    subnet: z.string().optional(),
    rangeStart: z.string().optional(),
    rangeEnd: z.string().optional(),
    gateway: z.string().optional(),
    ranges: rangeSetsSchema.optional(),
    routes: z.array(routeSchema).nullish(),
    dataDir: z.string().optional(),
    resolvConf: z.string().optional(),
  })
  .passthrough();

const hostLocalNetSchema = z
  .object({
    name: z.string(),
    cniVersion: z.string().optional(),
    ipam: ipamSectionSchema.nullish(),
    runtimeConfig: z
      .object({ ipRanges: rangeSetsSchema.nullish(), ips: z.array(z.string()).nullish() })
      .passthrough()
      .nullish(),
    args: z
      .object({ cni: z.object({ ips: z.array(z.string()).nullish() }).passthrough().nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export interface IpamConfig {
  name: string;
  dataDir: string;
  resolvConf?: string;
  routes: Route[];
  rangeSets: RangeSet[];
  /** Requested addresses, de-duplicated, in the order CNI_ARGS, args.cni.ips, runtimeConfig.ips. */
  requested: Ip[];
}

const invalid = (msg: string, details = ''): CniError => new CniError(ErrorCode.InvalidNetworkConfig, msg, details);

/** An IP or CIDR (the prefix is ignored), like the reference's ip.IP text form. */
function requestedIp(s: string, field: string, code: number = ErrorCode.InvalidNetworkConfig): Ip {
  const ip = parseIp(s) ?? parseCidr(s)?.ip;
  if (!ip) throw new CniError(code, `invalid ${field}: "${s}" is not an IP address`);
  return ip;
}

function checkRoute(r: z.infer<typeof routeSchema>, i: number): Route {
  if (!parseCidr(r.dst)) throw invalid(`invalid ipam.routes[${i}].dst: "${r.dst}" is not a CIDR`);
  if (r.gw !== undefined && r.gw !== '' && !parseIp(r.gw)) throw invalid(`invalid ipam.routes[${i}].gw: "${r.gw}" is not an IP address`);
  const { dst, gw, mtu, advmss, priority, table, scope } = r;
  return { dst, gw, mtu, advmss, priority, table, scope };
}

/** Reads the config as the reference's LoadIPAMConfig does; every error is code 7 naming the field. */
export function loadIpamConfig(json: Record<string, unknown>, cniArgs: Map<string, string>): IpamConfig {
  const n = parseConfig(hostLocalNetSchema, json);
  if (!n.ipam) throw invalid("IPAM config missing 'ipam' key");
  const ipam = n.ipam;

  const requested: Ip[] = [];
  const envIp = containerArgs(cniArgs).IP;
  if (envIp !== undefined) requested.push(requestedIp(envIp, 'CNI_ARGS IP', ErrorCode.InvalidEnvironment));
  (n.args?.cni?.ips ?? []).forEach((s, i) => requested.push(requestedIp(s, `args.cni.ips[${i}]`)));
  (n.runtimeConfig?.ips ?? []).forEach((s, i) => requested.push(requestedIp(s, `runtimeConfig.ips[${i}]`)));
  const unique = requested.filter((ip, i) => requested.findIndex((o) => o.family === ip.family && o.value === ip.value) === i);

  // Order: runtime ipRanges, then the legacy single range, then `ranges`.
  const specs: RangeSpec[][] = [];
  if (n.runtimeConfig?.ipRanges?.length) specs.push(...n.runtimeConfig.ipRanges);
  if (ipam.subnet) specs.push([{ subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway }]);
  if (ipam.ranges) specs.push(...ipam.ranges);
  if (specs.length === 0) throw invalid('no IP ranges specified', 'set ipam.subnet or ipam.ranges');

  const rangeSets = specs.map((s, i) => {
    try {
      return canonicalizeRangeSet(s);
    } catch (e) {
      if (e instanceof RangeConfigError) throw invalid(`invalid range set ${i}: ${e.message}`);
      throw e;
    }
  });
  const cniVersion = n.cniVersion || '0.1.0';
  const v4 = rangeSets.filter((s) => familyOf(s) === 4).length;
  if ((v4 > 1 || rangeSets.length - v4 > 1) && !atLeast(cniVersion, '0.3.0')) {
    throw invalid(`CNI version ${cniVersion} does not support more than 1 address per family`);
  }
  for (let i = 0; i < rangeSets.length; i++) {
    for (let j = i + 1; j < rangeSets.length; j++) {
      if (rangeSetsOverlap(rangeSets[i]!, rangeSets[j]!)) throw invalid(`range set ${i} overlaps with ${j}`);
    }
  }
  return {
    name: n.name,
    dataDir: ipam.dataDir || DEFAULT_DATA_DIR,
    resolvConf: ipam.resolvConf || undefined,
    routes: (ipam.routes ?? []).map(checkRoute),
    rangeSets,
    requested: unique,
  };
}

export const describeIps = (ips: Ip[]): string => ips.map(formatIp).join(' ');
