// The fixed part of the nftables portmap table (created once per host, rebuilt only when the
// entry rules' conditions change) and the element keys the per-container part uses:
//   dnat<f>  : proto . hostPort           → containerIP . containerPort
//   hdnat<f> : hostIP . proto . hostPort  → containerIP . containerPort   (checked first)
//   lo4      : containerIP                       (masquerade connections from 127.0.0.1)
//   sub<f>_<len>: network . containerIP           (hairpin / same subnet: `saddr & mask . daddr`;
//              one set per prefix length, created on first use and recorded in `subs`)
//   all<f>   : containerIP                       (masqAll: masquerade every source)
//   masq<f>  : source range . containerIP        (layout 1, interval sets: only read, so
//              attachments of a build before layout 2 keep working until their DEL or GC)
//   spare<f> : proto . hostPort . hostIP . containerIP . containerPort   (a port the same container
//              published again on another attachment: not forwarded while the first one lives)
import { CniError, ErrorCode } from '../../cni/error';
import { formatIp, maskOf, type Family } from '../../cni/ip';
import { fingerprint32 } from '../names';
import type { ContainerAddr, PortForward, PortmapTarget } from '../portmap-types';

export const PORTMAP_TABLE = 'tscni_portmap';
const T = `inet ${PORTMAP_TABLE}`;
// 2: the masquerade keys moved from the interval sets masq<f> (pipapo: each insert and delete
// costs time linear in the set's size) to hash sets.
const LAYOUT_VERSION = 2;
const ip = (f: Family): string => (f === 4 ? 'ip' : 'ip6');
const addrType = (f: Family): string => (f === 4 ? 'ipv4_addr' : 'ipv6_addr');

export const mapOf = (f: PortForward): string => `${f.hostIP ? 'hdnat' : 'dnat'}${f.family}`;
export const keyOf = (f: PortForward): string => `${f.hostIP ? `${f.hostIP} . ` : ''}${f.protocol} . ${f.hostPort}`;
export const valueOf = (f: PortForward): string => `${f.containerIP} . ${f.containerPort}`;
export const spareSet = (f: Family): string => `spare${f}`;
const anyAddr = (f: Family): string => (f === 4 ? '0.0.0.0' : '::');
export const spareKey = (f: PortForward): string => `${f.protocol} . ${f.hostPort} . ${f.hostIP ?? anyAddr(f.family)} . ${f.containerIP} . ${f.containerPort}`;

/** The forward a spare element stands for (its map key and value). */
export function spareForward(set: string, key: string): { map: string; key: string; value: string } | undefined {
  const p = key.split(' . ');
  if (p.length !== 5) return undefined;
  const [proto, port, host, cip, cport] = p as [string, string, string, string, string];
  const f = set === 'spare4' ? 4 : 6;
  const specific = host !== anyAddr(f);
  return { map: `${specific ? 'hdnat' : 'dnat'}${f}`, key: `${specific ? `${host} . ` : ''}${proto} . ${port}`, value: `${cip} . ${cport}` };
}

/** Created on first use only: most hosts never publish one port twice. */
export const spareSetsScript = (): string =>
  ([4, 6] as const).map((f) => `add set ${T} ${spareSet(f)} { type inet_proto . inet_service . ${addrType(f)} . ${addrType(f)} . inet_service; comment "ports a container published again on another attachment"; }`).join('\n');

interface MasqElement {
  set: string;
  key: string;
}

/** A prefix length that has its hairpin set: family and length. */
export interface SubnetLength {
  family: Family;
  prefix: number;
}

export const SUBS_SET = 'subs';
export const subSet = (l: SubnetLength): string => `sub${l.family}_${l.prefix}`;
/** The `subs` element naming a length (the family in the high byte: 4/24 → 1048). */
export const subsKey = (l: SubnetLength): string => String(l.family * 256 + l.prefix);
export function subsLength(key: string): SubnetLength | undefined {
  const n = Number(key);
  const family = Math.floor(n / 256);
  const prefix = n % 256;
  if (!Number.isInteger(n) || (family !== 4 && family !== 6) || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { family, prefix };
}

const networkOf = (a: ContainerAddr): string => a.subnet.slice(0, a.subnet.indexOf('/'));
const maskText = (l: SubnetLength): string => formatIp({ family: l.family, value: maskOf(l.family, l.prefix) });

/** The prefix lengths whose hairpin sets these addresses use. */
export function subnetLengths(t: Pick<PortmapTarget, 'addrs' | 'snat' | 'masqAll'>): SubnetLength[] {
  if (!t.snat || t.masqAll) return [];
  return t.addrs.map((a) => ({ family: a.family, prefix: a.prefix }));
}

/** The masquerade elements for one container address (hash sets, one key each). */
export function masqElements(a: ContainerAddr, masqAll: boolean): MasqElement[] {
  if (masqAll) return [{ set: `all${a.family}`, key: a.ip }];
  const out = [{ set: subSet(a), key: `${networkOf(a)} . ${a.ip}` }];
  // The kernel cannot route ::1 off the host, so localhost only exists for IPv4.
  if (a.family === 4) out.push({ set: 'lo4', key: a.ip });
  return out;
}

/** The elements layout 1 (the interval sets masq<f>) had for the same address. */
export function legacyMasqElements(a: ContainerAddr, masqAll: boolean): MasqElement[] {
  const set = `masq${a.family}`;
  if (masqAll) return [{ set, key: `${a.family === 4 ? '0.0.0.0/0' : '::/0'} . ${a.ip}` }];
  const out = [{ set, key: `${a.subnet} . ${a.ip}` }];
  if (a.family === 4) out.push({ set, key: `127.0.0.1 . ${a.ip}` });
  return out;
}

export function conditionsFingerprint(c4: string[] = [], c6: string[] = []): string {
  return fingerprint32(JSON.stringify({ v: LAYOUT_VERSION, c4, c6 }));
}

function checkConditions(tokens: string[], field: string): string {
  for (const t of tokens) {
    if (/[;\n\r#]/.test(t)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid token "${t}" in ${field}`, "nft conditions may not contain ';', '#' or newlines");
  }
  return tokens.join(' ');
}

/**
 * The table with its fixed rules, plus one hairpin set and rule per prefix length in `lengths`
 * (those already recorded in `subs` and those `t` needs: the chains are flushed and rebuilt, so
 * every length in use must be named).
 */
export function setupScript(t: PortmapTarget, fp: string, lengths: readonly SubnetLength[] = []): string {
  const c4 = checkConditions(t.conditionsV4 ?? [], 'conditionsV4');
  const c6 = checkConditions(t.conditionsV6 ?? [], 'conditionsV6');
  const lines = [`add table ${T} { comment "tscni portmap: published host ports; owned by tscni, managed per container; do not edit"; }`];
  for (const f of [4, 6] as const) {
    lines.push(
      `add map ${T} dnat${f} { type inet_proto . inet_service : ${addrType(f)} . inet_service; comment "proto . host port -> container"; }`,
      `add map ${T} hdnat${f} { type ${addrType(f)} . inet_proto . inet_service : ${addrType(f)} . inet_service; comment "host IP . proto . host port -> container"; }`,
      `add set ${T} masq${f} { type ${addrType(f)} . ${addrType(f)}; flags interval; comment "source . container that need masquerade after DNAT"; }`,
      `add set ${T} all${f} { type ${addrType(f)}; comment "masqAll: containers every DNATed connection to is masqueraded"; }`,
    );
  }
  const subs = new Map<string, SubnetLength>();
  for (const l of [...lengths, ...subnetLengths(t)]) subs.set(subSet(l), l);
  lines.push(
    `add set ${T} lo4 { type ipv4_addr; comment "containers whose DNATed connections from 127.0.0.1 are masqueraded"; }`,
    `add set ${T} ${SUBS_SET} { type mark; comment "prefix lengths with a hairpin set sub<family>_<length> (family << 8 | length)"; }`,
  );
  for (const [name, l] of subs) {
    lines.push(
      `add set ${T} ${name} { type ${addrType(l.family)} . ${addrType(l.family)}; comment "network . container: same-subnet connections masqueraded after DNAT"; }`,
      `add element ${T} ${SUBS_SET} { ${subsKey(l)} }`,
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
      `add rule ${T} postrouting ct status dnat ${ip(f)} daddr @all${f} masquerade`,
    );
  }
  lines.push(`add rule ${T} postrouting ct status dnat ip saddr 127.0.0.1 ip daddr @lo4 masquerade`);
  for (const [name, l] of subs) lines.push(`add rule ${T} postrouting ct status dnat ${ip(l.family)} saddr & ${maskText(l)} . ${ip(l.family)} daddr @${name} masquerade`);
  for (const f of [4, 6] as const) lines.push(`add rule ${T} postrouting ct status dnat ${ip(f)} saddr . ${ip(f)} daddr @masq${f} masquerade`);
  lines.push(`flush set ${T} cfg`, `add element ${T} cfg { ${fp} }`);
  return lines.join('\n');
}
