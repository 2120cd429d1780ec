// nftables masquerade for bridge ipMasq. Per container: one element in a verdict map keyed by
// its address (comment = owner tag) that jumps to its network's chain; per network: one chain
// and the set of its subnets. ADD/DEL touch elements only; rules exist once per network.
import { CniError, ErrorCode } from '../../cni/error';
import { parseCidr, subnetOf, type Cidr } from '../addr';
import { belongsToNetwork, nftNetworkId, ownerTag } from '../names';
import { listedElements, nftApply, nftApplyOrThrow, nftListJson, quote } from './run';

export const MASQ_TABLE = 'tscni_masq';
const T = `inet ${MASQ_TABLE}`;
const srcMap = (f: 4 | 6): string => `src${f}`;
const subnets = (net: string, f: 4 | 6): string => `${nftNetworkId(net)}_s${f}`;

export interface MasqIdentity {
  network: string;
  containerId: string;
  ifname: string;
}

function parseIps(ips: string[], field = 'ips'): Cidr[] {
  return ips.map((s, i) => {
    const c = parseCidr(s);
    if (!c) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address "${s}" in ${field}[${i}]`, 'expected address/prefix');
    return c;
  });
}

function setupScript(network: string): string {
  const n = nftNetworkId(network);
  return [
    `add table ${T} { comment "tscni bridge ipMasq: owned by tscni, managed per container; do not edit"; }`,
    `add map ${T} src4 { type ipv4_addr : verdict; comment "container address -> its network's masquerade chain"; }`,
    `add map ${T} src6 { type ipv6_addr : verdict; comment "container address -> its network's masquerade chain"; }`,
    `add chain ${T} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${T} postrouting`,
    `add rule ${T} postrouting ip saddr vmap @src4`,
    `add rule ${T} postrouting ip6 saddr vmap @src6`,
    `add set ${T} ${subnets(network, 4)} { type ipv4_addr; flags interval; auto-merge; comment ${quote(`subnets of network ${network}`.slice(0, 120))}; }`,
    `add set ${T} ${subnets(network, 6)} { type ipv6_addr; flags interval; auto-merge; comment ${quote(`subnets of network ${network}`.slice(0, 120))}; }`,
    `add chain ${T} ${n} { comment ${quote(`masquerade for network ${network}`.slice(0, 120))}; }`,
    `flush chain ${T} ${n}`,
    `add rule ${T} ${n} ip daddr != @${subnets(network, 4)} ip daddr != 224.0.0.0/4 masquerade`,
    `add rule ${T} ${n} ip6 daddr != @${subnets(network, 6)} ip6 daddr != ff00::/8 masquerade`,
  ].join('\n');
}

function elementScript(t: MasqIdentity, ips: Cidr[]): string {
  const n = nftNetworkId(t.network);
  const tag = quote(ownerTag(t.network, t.containerId, t.ifname));
  const lines: string[] = [];
  for (const c of ips) {
    lines.push(`add element ${T} ${subnets(t.network, c.family)} { ${subnetOf(c)} }`);
    // add (fails only if another network holds the address), then re-add with our tag so the
    // owner recorded in the comment is always the latest one.
    lines.push(`add element ${T} ${srcMap(c.family)} { ${c.ip} : goto ${n} }`);
    lines.push(`delete element ${T} ${srcMap(c.family)} { ${c.ip} }`);
    lines.push(`add element ${T} ${srcMap(c.family)} { ${c.ip} comment ${tag} : goto ${n} }`);
  }
  return lines.join('\n');
}

function ownerOf(ip: Cidr): string | undefined {
  const els = listedElements(nftListJson(['map', 'inet', MASQ_TABLE, srcMap(ip.family)]));
  return els.find((e) => e.key === ip.ip)?.comment;
}

export function nftMasqAdd(t: MasqIdentity & { ips: string[] }): void {
  const ips = parseIps(t.ips);
  if (!ips.length) return;
  const elements = elementScript(t, ips);
  let r = nftApply(elements);
  if (r.outcome === 'missing') r = nftApply(`${setupScript(t.network)}\n${elements}`);
  if (r.outcome === 'exists') {
    const clash = ips.map((c) => ({ c, owner: ownerOf(c) })).find((x) => x.owner !== undefined);
    throw new CniError(
      ErrorCode.AddressConflict,
      `masquerade: address ${clash?.c.ip ?? ips.map((c) => c.ip).join(',')} is already masqueraded for another network`,
      clash?.owner ? `owner: ${clash.owner}` : r.stderr.trim(),
    );
  }
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: masquerade setup failed', r.stderr.trim());
}

/** Elements of src4/src6 owned by the tag, found by listing (when the addresses are unknown). */
function deleteByTag(pred: (tag: string) => boolean): void {
  const els = listedElements(nftListJson(['table', 'inet', MASQ_TABLE])).filter((e) => (e.set === 'src4' || e.set === 'src6') && e.comment !== undefined && pred(e.comment));
  if (!els.length) return;
  nftApplyOrThrow(els.map((e) => `delete element ${T} ${e.set} { ${e.key} }`).join('\n'), 'masquerade teardown');
}

export function nftMasqDel(t: MasqIdentity & { ips?: string[] }): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  const ips = t.ips?.length ? parseIps(t.ips) : [];
  if (ips.length) {
    const n = nftNetworkId(t.network);
    // The add guards the delete: it fails (EEXIST) when another network owns the address, and
    // makes the delete of an absent element a no-op instead of an error.
    const script = ips.flatMap((c) => [`add element ${T} ${srcMap(c.family)} { ${c.ip} : goto ${n} }`, `delete element ${T} ${srcMap(c.family)} { ${c.ip} }`]).join('\n');
    const r = nftApply(script);
    if (r.outcome === 'ok' || r.outcome === 'missing') return;
  }
  deleteByTag((c) => c === tag);
}

export function nftMasqCheck(t: MasqIdentity & { ips: string[] }): void {
  const ips = parseIps(t.ips);
  const objs = nftListJson(['table', 'inet', MASQ_TABLE]);
  if (!objs.length) throw new CniError(ErrorCode.Internal, `masquerade: table inet ${MASQ_TABLE} is missing`);
  const n = nftNetworkId(t.network);
  if (!objs.some((o) => o.chain?.name === n)) throw new CniError(ErrorCode.Internal, `masquerade: chain ${n} for network "${t.network}" is missing`);
  const els = listedElements(objs);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const c of ips) {
    const e = els.find((x) => x.set === srcMap(c.family) && x.key === c.ip);
    if (!e || e.value !== `goto ${n}`) throw new CniError(ErrorCode.Internal, `masquerade: no masquerade entry for ${c.ip} on network "${t.network}"`);
    if (e.comment !== tag) throw new CniError(ErrorCode.Internal, `masquerade: entry for ${c.ip} belongs to "${e.comment}", not to ${tag}`);
  }
}

export function nftMasqGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  deleteByTag((c) => belongsToNetwork(c, network) && !keep.has(c));
}
