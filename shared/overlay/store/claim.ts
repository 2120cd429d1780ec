// Claiming a slice of the network (an l3 node subnet, an l2 block) so that no two hosts ever
// hold the same one: the claim key is created in a transaction guarded by "create revision == 0"
// (the key does not exist), so of two hosts racing for a slice exactly one wins; the loser
// re-reads what is taken and tries another. A host keeps its slice across restarts by asking
// for it again (the slice in the local cache) before looking for a new one.
import { CniError, ErrorCode } from '../../cni/error';
import { parseSubnet, subnetText, type Subnet } from '../addr';
import { storeCall, type StoreHandle } from './etcd';
import { claimsDir, parseClaim, type ClaimKind } from './layout';
import { freeSlices, keyToCidr, sliceKey } from './slices';

export interface ClaimRequest {
  kind: ClaimKind;
  network: Subnet;
  len: number;
  /** The claimant (its node key). */
  node: string;
  leaseId: string;
  /** A slice to ask for first: the cached one, or a static nodeSubnet. */
  prefer?: Subnet;
  /** The preferred slice is configured: losing it is a config error, not a reason to move. */
  fixed?: boolean;
  /** How many free slices to choose among at random (fewer collisions between racing hosts). */
  choices?: number;
  /** Config field named in errors. */
  field: string;
}

const MAX_ATTEMPTS = 32;

type Outcome = 'mine' | 'taken';

/** Takes `slice` for req.node, or refreshes our own claim on it onto our current lease. */
async function tryClaim(h: StoreHandle, req: ClaimRequest, slice: Subnet): Promise<Outcome> {
  const key = claimsDir(req.kind) + sliceKey(slice);
  const value = JSON.stringify({ node: req.node });
  return storeCall(h, `claim ${key}`, async () => {
    const created = await h.ns.if(key, 'Create', '==', 0).then(h.ns.put(key).value(value).lease(req.leaseId)).else(h.ns.get(key)).commit();
    if (created.succeeded) return 'mine';
    const kv = created.responses[0]?.response_range?.kvs?.[0];
    if (!kv) return 'taken'; // deleted in between: try again from the top
    if (parseClaim(kv.value.toString())?.node !== req.node) return 'taken';
    if (kv.lease === req.leaseId) return 'mine';
    // Ours, on an older lease: move it onto the current one, unless it changed meanwhile.
    const moved = await h.ns.if(key, 'Mod', '==', kv.mod_revision).then(h.ns.put(key).value(value).lease(req.leaseId)).commit();
    return moved.succeeded ? 'mine' : 'taken';
  });
}

/** Slices of this kind that exist, and the one (if any) already held by req.node. */
async function readClaims(h: StoreHandle, req: ClaimRequest): Promise<{ taken: Set<string>; own?: Subnet }> {
  const all = await storeCall(h, `list ${claimsDir(req.kind)}`, () => h.ns.getAll().prefix(claimsDir(req.kind)).strings());
  const taken = new Set<string>();
  let own: Subnet | undefined;
  for (const [k, v] of Object.entries(all)) {
    const seg = k.slice(claimsDir(req.kind).length);
    taken.add(seg);
    const s = parseSubnet(keyToCidr(seg), true);
    if (s && s.prefix === req.len && parseClaim(v)?.node === req.node) own = s;
  }
  return { taken, own };
}

export async function claimSlice(h: StoreHandle, req: ClaimRequest): Promise<Subnet> {
  if (req.prefer) {
    if ((await tryClaim(h, req, req.prefer)) === 'mine') return req.prefer;
    if (req.fixed) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: field "${req.field}": ${subnetText(req.prefer)} is already claimed by another host in etcd (${h.prefix}/${claimsDir(req.kind)})`);
    }
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { taken, own } = await readClaims(h, req);
    // A claim of ours that survived the cache (e.g. the state dir was wiped) is still ours.
    if (own && (await tryClaim(h, req, own)) === 'mine') return own;
    const free = freeSlices(req.network, req.len, taken, { skipFirst: req.kind === 'subnet', choices: req.choices ?? 16 });
    if (!free.length) {
      throw new CniError(
        ErrorCode.AddressExhausted,
        `no free ${req.kind} of /${req.len} left in ${subnetText(req.network)}: every one is claimed in etcd (${h.prefix}/${claimsDir(req.kind)}); field "${req.field}"`,
      );
    }
    const pick = free[Math.floor(Math.random() * free.length)]!;
    if ((await tryClaim(h, req, pick)) === 'mine') return pick;
  }
  throw new CniError(ErrorCode.TryAgainLater, `could not claim a ${req.kind} in ${subnetText(req.network)} after ${MAX_ATTEMPTS} attempts: too many hosts claiming at once`);
}
