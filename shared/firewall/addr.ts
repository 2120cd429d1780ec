// Address helpers: one canonical text form per address so keys compare and render the same in
// nft, iptables and our own conflict checks.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  ip: string; // canonical address text
  prefix: number;
  network: string; // canonical network address text
}

/** Strict IPv4 (four decimal parts) or IPv6; returns undefined for anything else. */
export function parseIp(s: string): { family: Family; ip: string } | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { family: 4, ip: ipaddr.IPv4.parse(s).toString() };
  if (ipaddr.IPv6.isValid(s)) return { family: 6, ip: ipaddr.IPv6.parse(s).toString() };
  return undefined;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const a = parseIp(s.slice(0, slash));
  const prefix = Number(s.slice(slash + 1));
  if (!a || !Number.isInteger(prefix) || prefix < 0 || prefix > (a.family === 4 ? 32 : 128)) return undefined;
  const network = a.family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(`${a.ip}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${a.ip}/${prefix}`);
  return { family: a.family, ip: a.ip, prefix, network: network.toString() };
}

export const subnetOf = (c: Cidr): string => `${c.network}/${c.prefix}`;

/** "Any address": no hostIP, 0.0.0.0 or ::. */
export function isUnspecified(ip: string | undefined): boolean {
  return !ip || ip === '0.0.0.0' || ip === '::';
}
