// Address allocation for one range set, in the reference's order: round-robin from just after
// last_reserved_ip.<set>, across the ranges of the set, wrapping once, never the gateway. Same
// config + same store ⇒ the same address as the reference would pick.
import { CniError, ErrorCode } from '../cni/error';
import { type Ip, formatIp, parseIp } from '../cni/ip';
import type { Attachment } from '../cni/owner';
import { legacyKey, ownerKey } from './lease-file';
import { type Range, type RangeSet, isReservedInRange, rangeContains, rangeFor, rangeSetString } from './range';
import type { Store } from './store';

export interface Candidate {
  ip: Ip;
  range: Range;
}

/** The reference's RangeIter as a generator: each address of the set once, in its order. */
export function* candidates(set: RangeSet, lastReserved?: Ip): Generator<Candidate> {
  let idx = 0;
  let cur: Ip | undefined;
  let start: bigint | undefined;
  const startIdx = lastReserved ? set.findIndex((r) => rangeContains(r, lastReserved)) : -1;
  if (startIdx >= 0) {
    idx = startIdx;
    cur = lastReserved;
  }
  for (;;) {
    let r = set[idx]!;
    if (cur === undefined) {
      cur = r.rangeStart;
      start = cur.value;
    } else {
      if (cur.value === r.rangeEnd.value) {
        idx = (idx + 1) % set.length;
        r = set[idx]!;
        cur = r.rangeStart;
      } else {
        cur = { family: cur.family, value: cur.value + 1n };
      }
      if (start === undefined) start = cur.value;
      else if (cur.value === start) return;
    }
    if (!isReservedInRange(r, cur)) yield { ip: cur, range: r };
  }
}

/** After this many taken addresses in a row, one readdir is cheaper than probing on. */
const PROBES_BEFORE_LISTING = 64;

export interface Allocation {
  ip: Ip;
  range: Range;
}

/**
 * Reserves one address of `set` for owner: the requested one if given (it must be free and not
 * the gateway), else the next free one in round-robin order. Errors name the set.
 */
export function allocate(store: Store, set: RangeSet, setIndex: number, owner: Attachment, requested?: Ip): Allocation {
  if (requested) {
    const range = rangeFor(set, requested);
    if (!range) throw new CniError(ErrorCode.InvalidNetworkConfig, `${formatIp(requested)} not in range set ${rangeSetString(set)}`);
    if (requested.value === range.gateway.value) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `requested ip ${formatIp(requested)} is subnet's gateway`);
    }
    if (!store.reserve(owner, requested, setIndex)) {
      throw new CniError(ErrorCode.AddressConflict, `requested IP address ${formatIp(requested)} is not available in range set ${rangeSetString(set)}`);
    }
    return { ip: requested, range };
  }
  // Like the reference, a lease in this set under (id, ifname), or a legacy one under id, blocks.
  for (const name of [...store.leasesOf(ownerKey(owner)), ...store.leasesOf(legacyKey(owner.containerId))]) {
    const held = parseIp(name);
    if (held && rangeFor(set, held)) {
      throw new CniError(ErrorCode.AddressConflict, `${name} has been allocated to ${owner.containerId}, duplicate allocation is not allowed`);
    }
  }
  let misses = 0;
  let taken: Set<string> | undefined;
  for (const c of candidates(set, store.lastReserved(setIndex))) {
    const name = formatIp(c.ip);
    if (taken?.has(name)) continue;
    if (store.reserve(owner, c.ip, setIndex)) return { ip: c.ip, range: c.range };
    if (!taken && ++misses >= PROBES_BEFORE_LISTING) taken = store.takenNames();
  }
  throw new CniError(ErrorCode.AddressExhausted, `no IP addresses available in range set: ${rangeSetString(set)}`);
}
