// Firewall state of a removed network that no DEL or GC takes away, because it belongs to the
// network rather than to one attachment: the masquerade chains bridge keeps per (network, subnet)
// in `inet tscni_masq`, and the isolation entries (firewall ingressPolicy) of a bridge that is gone.
// Both are found by names derived from the network or its bridge only, so no other network's
// state can match; a chain that is still jumped to is left alone.
import { FIREWALL_TABLE } from '../../../shared/firewall/nft/forward';
import { MASQ_TABLE } from '../../../shared/firewall/nft/masq';
import { listedElements, nftApply, nftListJson } from '../../../shared/firewall/nft/run';
import { nftNetworkId } from '../../../shared/firewall/names';
import type { NetworkList } from '../../../shared/runtime/conf-loader';

/** Chains <networkId>_<subnet hash> of the network in tscni_masq; returns the ones deleted. */
export function removeMasqChains(network: string): string[] {
  const objs = nftListJson(['table', 'inet', MASQ_TABLE]);
  const prefix = `${nftNetworkId(network)}_`;
  const targets = new Set(listedElements(objs).flatMap((e) => (e.value?.startsWith('goto ') ? [e.value.slice(5)] : [])));
  const chains = objs.flatMap((o) => (o.chain && typeof o.chain.name === 'string' && o.chain.name.startsWith(prefix) && !targets.has(o.chain.name) ? [o.chain.name as string] : []));
  if (!chains.length) return [];
  const r = nftApply(chains.map((c) => `delete chain inet ${MASQ_TABLE} ${c}`).join('\n'));
  return r.outcome === 'ok' ? chains : [];
}

/** A bridge that is gone takes its isolation entries with it (add + delete: absent is a no-op). */
export function clearIsolation(list: NetworkList, removedBridges: string[]): void {
  const isolating = list.plugins.some((p) => p.type === 'firewall' && typeof p.json.ingressPolicy === 'string' && p.json.ingressPolicy !== 'open');
  if (!isolating) return;
  const t = `inet ${FIREWALL_TABLE}`;
  for (const br of removedBridges) {
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(br)) continue;
    for (const [set, key] of [['iso_br', `"${br}"`], ['icc_br', `"${br}" . "${br}"`]] as const) {
      nftApply(`add element ${t} ${set} { ${key} }\ndelete element ${t} ${set} { ${key} }`);
    }
  }
}
