// nftables masquerade for bridge ipMasq. Per container: one element in a verdict map keyed by
// its address (comment = owner tag) that jumps to the chain of its (network, subnet); that chain
// holds the one rule "not to my subnet, not multicast: masquerade". ADD and DEL change one map
// element each, in one transaction that has no other mutation: every extra change to the ruleset
// costs the kernel a commit of its own weight (~10 ms measured), however small.
import { CniError, ErrorCode } from '../../cni/error';
import { parseCidr, subnetOf, type Cidr } from '../addr';
import { belongsToNetwork, nftNetworkId, ownerTag, sha256hex } from '../names';
import { listedElements, nftApply, nftApplyOrThrow, nftListJson, quote } from './run';

export const MASQ_TABLE = 'tscni_masq';
const T = `inet ${MASQ_TABLE}`;
const srcMap = (f: 4 | 6): string => `src${f}`;
/** The chain of one subnet of one network: named from both so two networks never share it. */
const subnetChain = (net: string, subnet: string): string => `${nftNetworkId(net)}_${sha256hex(subnet).slice(0, 8)}`;

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

function setupScript(network: string, ips: Cidr[]): string {
  const lines = [
    `add table ${T} { comment "tscni bridge ipMasq: owned by tscni, managed per container; do not edit"; }`,
    `add map ${T} src4 { type ipv4_addr : verdict; comment "container address -> the masquerade chain of its network and subnet"; }`,
    `add map ${T} src6 { type ipv6_addr : verdict; comment "container address -> the masquerade chain of its network and subnet"; }`,
    `add chain ${T} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${T} postrouting`,
    `add rule ${T} postrouting ip saddr vmap @src4`,
    `add rule ${T} postrouting ip6 saddr vmap @src6`,
  ];
  for (const c of ips) {
    const subnet = subnetOf(c);
    const chain = subnetChain(network, subnet);
    const ip = c.family === 4 ? 'ip' : 'ip6';
    const mcast = c.family === 4 ? '224.0.0.0/4' : 'ff00::/8';
    lines.push(
      `add chain ${T} ${chain} { comment ${quote(`masquerade for network ${network}, subnet ${subnet}`.slice(0, 120))}; }`,
      `flush chain ${T} ${chain}`,
      `add rule ${T} ${chain} ${ip} daddr != ${subnet} ${ip} daddr != ${mcast} masquerade`,
    );
  }
  return lines.join('\n');
}

function elementScript(t: MasqIdentity, ips: Cidr[]): string {
  const tag = quote(ownerTag(t.network, t.containerId, t.ifname));
  // A plain add: a no-op when this exact entry exists, EEXIST when the address jumps elsewhere
  // (another network holds it), ENOENT when the table or this subnet's chain is not there yet.
  return ips.map((c) => `add element ${T} ${srcMap(c.family)} { ${c.ip} comment ${tag} : goto ${subnetChain(t.network, subnetOf(c))} }`).join('\n');
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
  if (r.outcome === 'missing') r = nftApply(`${setupScript(t.network, ips)}\n${elements}`);
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
    // The add guards the delete: it fails (EEXIST) when another network owns the address, and
    // makes the delete of an absent element a no-op instead of an error.
    const script = ips
      .flatMap((c) => [`add element ${T} ${srcMap(c.family)} { ${c.ip} : goto ${subnetChain(t.network, subnetOf(c))} }`, `delete element ${T} ${srcMap(c.family)} { ${c.ip} }`])
      .join('\n');
    const r = nftApply(script);
    if (r.outcome === 'ok' || r.outcome === 'missing') return;
  }
  deleteByTag((c) => c === tag);
}

export function nftMasqCheck(t: MasqIdentity & { ips: string[] }): void {
  const ips = parseIps(t.ips);
  const objs = nftListJson(['table', 'inet', MASQ_TABLE]);
  if (!objs.length) throw new CniError(ErrorCode.Internal, `masquerade: table inet ${MASQ_TABLE} is missing`);
  const els = listedElements(objs);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const c of ips) {
    const n = subnetChain(t.network, subnetOf(c));
    if (!objs.some((o) => o.chain?.name === n)) throw new CniError(ErrorCode.Internal, `masquerade: chain ${n} for network "${t.network}", subnet ${subnetOf(c)} is missing`);
    const e = els.find((x) => x.set === srcMap(c.family) && x.key === c.ip);
    if (!e || e.value !== `goto ${n}`) throw new CniError(ErrorCode.Internal, `masquerade: no masquerade entry for ${c.ip} on network "${t.network}"`);
    if (e.comment !== tag) throw new CniError(ErrorCode.Internal, `masquerade: entry for ${c.ip} belongs to "${e.comment}", not to ${tag}`);
  }
}

export function nftMasqGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  deleteByTag((c) => belongsToNetwork(c, network) && !keep.has(c));
}
