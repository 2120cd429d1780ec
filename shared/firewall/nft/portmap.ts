// nftables portmap. Per container state is map/set elements tagged with the owner:
//   dnat<f>  : proto . hostPort           → containerIP . containerPort
//   hdnat<f> : hostIP . proto . hostPort  → containerIP . containerPort   (checked first)
//   masq<f>  : source range . containerIP (hairpin, same subnet, 127.0.0.1, or any with masqAll)
// The rules are fixed, so ADD/DEL are element changes in one transaction and packet cost does not
// grow with the number of containers. A marker element (set cfg) fingerprints the entry rules'
// conditions: a normal ADD asserts it (delete+add fails if absent) and only a missing table or a
// changed condition list pays for rebuilding the rules.
import { CniError, ErrorCode } from '../../cni/error';
import type { Family } from '../addr';
import { belongsToNetwork, fingerprint32, ownerTag } from '../names';
import { describeForward, type ContainerAddr, type PortForward, type PortmapRemoval, type PortmapTarget } from '../portmap-types';
import { listedElements, nftApply, nftApplyOrThrow, nftListJson, quote, type ListedElement } from './run';

export const PORTMAP_TABLE = 'tscni_portmap';
const T = `inet ${PORTMAP_TABLE}`;
const LAYOUT_VERSION = 1;
const ip = (f: Family): string => (f === 4 ? 'ip' : 'ip6');
const addrType = (f: Family): string => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');

const mapOf = (f: PortForward): string => `${f.hostIP ? 'hdnat' : 'dnat'}${f.family}`;
const keyOf = (f: PortForward): string => `${f.hostIP ? `${f.hostIP} . ` : ''}${f.protocol} . ${f.hostPort}`;
const valueOf = (f: PortForward): string => `${f.containerIP} . ${f.containerPort}`;

interface MasqElement {
  set: string;
  key: string;
}

/** The masquerade elements for one container address. */
export function masqElements(a: ContainerAddr, masqAll: boolean): MasqElement[] {
  const set = `masq${a.family}`;
  if (masqAll) return [{ set, key: `${a.family === 4 ? '0.0.0.0/0' : '::/0'} . ${a.ip}` }];
  const out = [{ set, key: `${a.subnet} . ${a.ip}` }];
  // The kernel cannot route ::1 off the host, so localhost only exists for IPv4.
  if (a.family === 4) out.push({ set, key: `127.0.0.1 . ${a.ip}` });
  return out;
}

function conditionsFingerprint(c4: string[] = [], c6: string[] = []): string {
  return fingerprint32(JSON.stringify({ v: LAYOUT_VERSION, c4, c6 }));
}

function checkConditions(tokens: string[], field: string): string {
  for (const t of tokens) {
    if (/[;\n\r#]/.test(t)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid token "${t}" in ${field}`, "nft conditions may not contain ';', '#' or newlines");
  }
  return tokens.join(' ');
}

function setupScript(t: PortmapTarget, fp: string): string {
  const c4 = checkConditions(t.conditionsV4 ?? [], 'conditionsV4');
  const c6 = checkConditions(t.conditionsV6 ?? [], 'conditionsV6');
  const lines = [`add table ${T} { comment "tscni portmap: published host ports; owned by tscni, managed per container; do not edit"; }`];
  for (const f of [4, 6] as const) {
    lines.push(
      `add map ${T} dnat${f} { type inet_proto . inet_service : ${addrType(f)} . inet_service; comment "proto . host port -> container"; }`,
      `add map ${T} hdnat${f} { type ${addrType(f)} . inet_proto . inet_service : ${addrType(f)} . inet_service; comment "host IP . proto . host port -> container"; }`,
      `add set ${T} masq${f} { type ${addrType(f)} . ${addrType(f)}; flags interval; comment "source . container that need masquerade after DNAT"; }`,
    );
  }
  lines.push(
    `add set ${T} cfg { type mark; comment "fingerprint of the entry rules"; }`,
    `add chain ${T} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${T} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${T} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${T} hostports`,
  );
  for (const c of ['prerouting', 'output', 'postrouting', 'hostports']) lines.push(`flush chain ${T} ${c}`);
  for (const c of ['prerouting', 'output']) {
    lines.push(`add rule ${T} ${c} meta nfproto ipv4 ${c4} fib daddr type local jump hostports`);
    lines.push(`add rule ${T} ${c} meta nfproto ipv6 ${c6} fib daddr type local jump hostports`);
  }
  for (const f of [4, 6] as const) {
    lines.push(
      `add rule ${T} hostports dnat ${ip(f)} to ${ip(f)} daddr . meta l4proto . th dport map @hdnat${f}`,
      `add rule ${T} hostports meta nfproto ${f === 4 ? 'ipv4' : 'ipv6'} dnat ${ip(f)} to meta l4proto . th dport map @dnat${f}`,
      `add rule ${T} postrouting ct status dnat ${ip(f)} saddr . ${ip(f)} daddr @masq${f} masquerade`,
    );
  }
  lines.push(`flush set ${T} cfg`, `add element ${T} cfg { ${fp} }`);
  return lines.join('\n');
}

function elementLines(t: PortmapTarget): string[] {
  const tag = quote(ownerTag(t.network, t.containerId, t.ifname));
  const lines: string[] = [];
  // add (EEXIST when another container maps the key elsewhere), then re-add under our tag so the
  // comment always names the current owner.
  for (const f of t.forwards) {
    lines.push(`add element ${T} ${mapOf(f)} { ${keyOf(f)} : ${valueOf(f)} }`);
    lines.push(`delete element ${T} ${mapOf(f)} { ${keyOf(f)} }`);
    lines.push(`add element ${T} ${mapOf(f)} { ${keyOf(f)} comment ${tag} : ${valueOf(f)} }`);
  }
  if (t.snat) {
    for (const a of t.addrs) {
      for (const e of masqElements(a, t.masqAll)) {
        lines.push(`add element ${T} ${e.set} { ${e.key} }`, `delete element ${T} ${e.set} { ${e.key} }`, `add element ${T} ${e.set} { ${e.key} comment ${tag} }`);
      }
    }
  }
  return lines;
}

function conflictError(t: PortmapTarget, stderr: string): CniError {
  const els = listedElements(nftListJson(['table', 'inet', PORTMAP_TABLE]));
  const mine = ownerTag(t.network, t.containerId, t.ifname);
  for (const f of t.forwards) {
    const e = els.find((x) => x.set === mapOf(f) && x.key === keyOf(f));
    if (e && e.value !== valueOf(f)) {
      const who = e.comment === mine ? 'this container (with another address)' : `"${e.comment ?? 'unknown owner'}"`;
      return new CniError(ErrorCode.PortConflict, `host port ${describeForward(f)} is already published by ${who}`, `it forwards to ${e.value}`);
    }
  }
  return new CniError(ErrorCode.Internal, 'nftables: portmap elements could not be added', stderr.trim());
}

export function nftPortmapAdd(t: PortmapTarget): void {
  const fp = conditionsFingerprint(t.conditionsV4, t.conditionsV6);
  const elements = elementLines(t);
  // The marker assertion is first: a missing table or changed conditions fail fast with ENOENT.
  let r = nftApply([`delete element ${T} cfg { ${fp} }`, `add element ${T} cfg { ${fp} }`, ...elements].join('\n'));
  if (r.outcome === 'missing') r = nftApply([setupScript(t, fp), ...elements].join('\n'));
  if (r.outcome === 'exists') throw conflictError(t, r.stderr);
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, 'nftables: portmap setup failed', r.stderr.trim());
}

function ownedElements(pred: (tag: string) => boolean): ListedElement[] {
  return listedElements(nftListJson(['table', 'inet', PORTMAP_TABLE])).filter((e) => e.comment !== undefined && pred(e.comment));
}

function deleteListed(els: ListedElement[]): void {
  if (els.length) nftApplyOrThrow(els.map((e) => `delete element ${T} ${e.set} { ${e.key} }`).join('\n'), 'portmap teardown');
}

export function nftPortmapDel(t: PortmapRemoval): void {
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  if (t.forwards?.length) {
    // Fast path: the add guards each delete (EEXIST if someone else owns the key; absent → no-op).
    const lines: string[] = [];
    for (const f of t.forwards) lines.push(`add element ${T} ${mapOf(f)} { ${keyOf(f)} : ${valueOf(f)} }`, `delete element ${T} ${mapOf(f)} { ${keyOf(f)} }`);
    // Only the variant ADD used: adding the other one could overlap ours and fail.
    if (t.snat !== false) {
      for (const a of t.addrs ?? []) {
        for (const e of masqElements(a, t.masqAll ?? false)) lines.push(`add element ${T} ${e.set} { ${e.key} }`, `delete element ${T} ${e.set} { ${e.key} }`);
      }
    }
    const r = nftApply(lines.join('\n'));
    if (r.outcome === 'missing') return; // no table: nothing of ours can exist
    if (r.outcome === 'ok') return;
  }
  deleteListed(ownedElements((c) => c === tag));
}

export function nftPortmapCheck(t: PortmapTarget): void {
  const objs = nftListJson(['table', 'inet', PORTMAP_TABLE]);
  if (!objs.length) throw new CniError(ErrorCode.Internal, `portmap: table inet ${PORTMAP_TABLE} is missing`);
  const els = listedElements(objs);
  const tag = ownerTag(t.network, t.containerId, t.ifname);
  for (const f of t.forwards) {
    const e = els.find((x) => x.set === mapOf(f) && x.key === keyOf(f));
    if (!e) throw new CniError(ErrorCode.Internal, `portmap: no forwarding for ${describeForward(f)}`);
    if (e.value !== valueOf(f) || e.comment !== tag) {
      throw new CniError(ErrorCode.Internal, `portmap: ${describeForward(f)} forwards to ${e.value} for "${e.comment}", expected ${valueOf(f)} for "${tag}"`);
    }
  }
  if (t.snat) {
    for (const a of t.addrs) {
      for (const m of masqElements(a, t.masqAll)) {
        if (!els.some((x) => x.set === m.set && x.key === m.key)) throw new CniError(ErrorCode.Internal, `portmap: masquerade entry "${m.key}" is missing from ${m.set}`);
      }
    }
  }
}

export function nftPortmapGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  deleteListed(ownedElements((c) => belongsToNetwork(c, network) && !keep.has(c)));
}
