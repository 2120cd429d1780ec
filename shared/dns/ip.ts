// Address tests for DNS work, without node:net (the start-up snapshot cannot carry it).
import ipaddr from 'ipaddr.js';

export const isIPv4 = (s: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(s);
export const isIPv6 = (s: string): boolean => !s.includes('%') && ipaddr.IPv6.isValid(s);
export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

/** RFC 5952 text (lower case, longest zero run compressed), as DNS answers are compared in. */
export const canonicalIPv6 = (s: string): string => ipaddr.IPv6.parse(s).toRFC5952String();

/** The 16 bytes of an IPv6 address. */
export const ipv6Bytes = (s: string): number[] => ipaddr.IPv6.parse(s).toByteArray();
