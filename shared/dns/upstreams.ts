// Where names outside the network go: the host's resolvers (its resolv.conf), or a list given
// in the config. Each entry is an address, optionally with an IPv6 zone (fe80::1%eth0) and a
// port (10.0.0.1#5353), which is dnsmasq's own `server=` syntax.
import fs from 'node:fs';
import { parseResolvConf } from '../ipam/resolv-conf';
import { ipFamily } from '../cni/ip';

const UPSTREAM_RE = /^([^%#]+)(%[A-Za-z0-9_.-]{1,15})?(#\d{1,5})?$/;

/** Why `u` is not an upstream dnsmasq accepts, or undefined. */
export function upstreamProblem(u: string): string | undefined {
  const m = UPSTREAM_RE.exec(u);
  if (!m || !ipFamily(m[1]!)) return 'expected an IP address, optionally followed by %zone and #port';
  if (m[2] && ipFamily(m[1]!) !== 6) return 'only an IPv6 address can carry a %zone';
  if (m[3] && (Number(m[3].slice(1)) < 1 || Number(m[3].slice(1)) > 65535)) return 'the port must be 1-65535';
  return undefined;
}

const hostPart = (u: string): string => UPSTREAM_RE.exec(u)?.[1] ?? u;

/**
 * The host's nameservers from resolv.conf text. Entries that are not addresses are dropped,
 * and so are the server's own listen addresses: forwarding to itself would loop.
 */
export function upstreamsFromResolvConf(text: string, listen: readonly string[]): string[] {
  const servers = parseResolvConf(text).nameservers ?? [];
  return withoutSelf(servers.filter((s) => upstreamProblem(s) === undefined), listen);
}

export function withoutSelf(upstreams: readonly string[], listen: readonly string[]): string[] {
  return [...new Set(upstreams)].filter((u) => !listen.includes(hostPart(u)));
}

/** The host's resolvers; an unreadable resolv.conf means "no upstream", not a failed ADD. */
export function hostUpstreams(file: string, listen: readonly string[]): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return upstreamsFromResolvConf(text, listen);
}
