// What dnsname reads from the previous plugin's (the bridge's) result: the container's
// addresses, and the gateway addresses, which are the bridge's own and where the server listens.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Result } from '../../shared/cni/result';
import { canonicalIp } from '../../shared/cni/ip';

/** Plain address text in Go's form (IPv6 as RFC 5952): it is compared with DNS answers. */
const canonical = (ip: string): string => canonicalIp(ip) ?? ip;
const bare = (cidr: string): string => canonical(cidr.split('/')[0]!);
const unique = (xs: string[]): string[] => [...new Set(xs)];

/** Addresses on the container side: those whose interface is in a sandbox (or unnamed). */
export function containerIps(prev: Result): string[] {
  const ifs = prev.interfaces ?? [];
  return unique((prev.ips ?? []).filter((ip) => ip.interface === undefined || ifs[ip.interface]?.sandbox !== undefined || !ifs[ip.interface]).map((ip) => bare(ip.address)));
}

export function gateways(prev: Result): string[] {
  return unique((prev.ips ?? []).flatMap((ip) => (ip.gateway ? [canonical(ip.gateway)] : [])));
}

/** Both are needed on ADD: names need addresses, and the server needs the bridge's address. */
export function addressing(prev: Result): { ips: string[]; listen: string[] } {
  const ips = containerIps(prev);
  if (!ips.length) throw new CniError(ErrorCode.InvalidNetworkConfig, 'dnsname: prevResult has no container address', 'field "prevResult.ips" is empty');
  const listen = gateways(prev);
  if (!listen.length) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'dnsname: prevResult has no gateway address to serve DNS on', 'field "prevResult.ips[].gateway" is missing (bridge needs isGateway)');
  }
  return { ips, listen };
}
