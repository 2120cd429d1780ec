// A host's share of an overlay network: its nodeSubnet (l3) or nodeRange (l2). Two hosts must
// never own overlapping shares, or both would hand out the same addresses. The one definition of
// that rule, used when a config is validated (every listed share against every other) and when
// the plan picks this host's own entry out of the peer list.

/** First and last address as integers (a Subnet and an IpRange both are one). */
export interface Span {
  first: bigint;
  last: bigint;
}

export const spansOverlap = (a: Span, b: Span): boolean => a.first <= b.last && b.first <= a.last;
export const sameSpan = (a: Span, b: Span): boolean => a.first === b.first && a.last === b.last;

export interface ListedShare {
  /** The config field that gave it, for the error message. */
  field: string;
  span: Span;
}

/**
 * The first pair of shares that overlap, or undefined. The same peer list is meant to be used on
 * every host (each skips its own entry), so when the first share is this host's own (`ownFirst`),
 * a peer entry repeating it exactly is that host itself, not a conflict.
 */
export function overlappingShares(shares: ListedShare[], ownFirst: boolean): [ListedShare, ListedShare] | undefined {
  for (let i = 0; i < shares.length; i++) {
    for (let j = i + 1; j < shares.length; j++) {
      const [a, b] = [shares[i]!, shares[j]!];
      if (spansOverlap(a.span, b.span) && !(i === 0 && ownFirst && sameSpan(a.span, b.span))) return [a, b];
    }
  }
  return undefined;
}
