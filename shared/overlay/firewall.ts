// The overlay's own nftables table (inet tscni_vxlan), one set of objects per network:
//   <id>_peers4/6  the peers' underlay addresses (set elements, so peers change without rules)
//   <id>_in        VXLAN packets of our VNI on our port from anyone else are dropped: VXLAN is
//                  unauthenticated (moby#47667), so any host reaching the port could inject frames
//   <id>_fwd       forward accept for the overlay network
//   <id>_nat       masquerade what leaves the overlay network
// Matching the VNI (4 bytes into the VXLAN header) keeps two networks sharing a port apart.
// Each apply is one `nft -f -` transaction that rewrites this network's chains and peer sets.
import { nftNetworkId } from '../firewall/names';
import { nftApplyOrThrow, nftListJson, renderExpr } from '../firewall/nft/run';
import { canonicalIp, type Family } from '../cni/ip';

export const OVERLAY_TABLE = 'tscni_vxlan';
const T = `inet ${OVERLAY_TABLE}`;

export interface OverlayFirewall {
  network: string;
  vni: number;
  port: number;
  underlayFamily: Family;
  /** Underlay addresses of the other hosts. */
  peers: { ip: string; name?: string }[];
  restrictPort: boolean;
  allowForward: boolean;
  /** The overlay network (CIDR). */
  overlay: string;
  overlayFamily: Family;
  /** Masquerade traffic from these sources (CIDR) that leaves the overlay; undefined = off. */
  masqSource?: string;
}

export const chainNames = (network: string): { input: string; forward: string; nat: string; peers4: string; peers6: string } => {
  const n = nftNetworkId(network);
  return { input: `${n}_in`, forward: `${n}_fwd`, nat: `${n}_nat`, peers4: `${n}_peers4`, peers6: `${n}_peers6` };
};

const commentText = (s: string): string => `"${s.replace(/[^A-Za-z0-9_.:/ -]/g, '_').slice(0, 120)}"`;
const ipKw = (f: Family): string => (f === 4 ? 'ip' : 'ip6');

/** Bits 96..119 of the transport header: the VNI field of the VXLAN header after the UDP header. */
const VNI_MATCH = '@th,96,24';

export function renderFirewall(f: OverlayFirewall): string {
  const c = chainNames(f.network);
  const lines = [
    `add table ${T} { comment "tscni vxlan overlay: owned by tscni, one set of chains per network; do not edit"; }`,
    `add set ${T} ${c.peers4} { type ipv4_addr; comment ${commentText(`underlay peers of network ${f.network}`)}; }`,
    `add set ${T} ${c.peers6} { type ipv6_addr; comment ${commentText(`underlay peers of network ${f.network}`)}; }`,
    `flush set ${T} ${c.peers4}`,
    `flush set ${T} ${c.peers6}`,
  ];
  for (const p of f.peers) {
    const ip = canonicalIp(p.ip);
    if (!ip) continue;
    const set = ip.includes(':') ? c.peers6 : c.peers4;
    lines.push(`add element ${T} ${set} { ${ip}${p.name ? ` comment ${commentText(p.name)}` : ''} }`);
  }
  const chain = (name: string, hook: string, enabled: boolean, rules: string[]): void => {
    lines.push(`add chain ${T} ${name} { ${hook}; }`);
    if (!enabled) {
      lines.push(`delete chain ${T} ${name}`);
      return;
    }
    lines.push(`flush chain ${T} ${name}`);
    for (const r of rules) lines.push(`add rule ${T} ${name} ${r}`);
  };
  const peers = f.underlayFamily === 4 ? c.peers4 : c.peers6;
  chain(c.input, 'type filter hook input priority filter - 5; policy accept', f.restrictPort, [
    `udp dport ${f.port} ${VNI_MATCH} ${f.vni} ${ipKw(f.underlayFamily)} saddr != @${peers} counter drop comment "vxlan from a non-peer"`,
  ]);
  const o = ipKw(f.overlayFamily);
  chain(c.forward, 'type filter hook forward priority filter - 5; policy accept', f.allowForward, [
    `${o} saddr ${f.overlay} accept`,
    `${o} daddr ${f.overlay} accept`,
  ]);
  const mcast = f.overlayFamily === 4 ? '224.0.0.0/4' : 'ff00::/8';
  chain(c.nat, 'type nat hook postrouting priority srcnat; policy accept', f.masqSource !== undefined, [
    `${o} saddr ${f.masqSource ?? f.overlay} ${o} daddr != ${f.overlay} ${o} daddr != ${mcast} masquerade`,
  ]);
  return lines.join('\n') + '\n';
}

export function applyFirewall(f: OverlayFirewall): void {
  nftApplyOrThrow(renderFirewall(f), `vxlan firewall for network ${f.network}`);
}

/** Removes this network's chains and sets (the table stays: other networks may use it). */
export function removeFirewall(network: string): void {
  const c = chainNames(network);
  const objs = nftListJson(['table', 'inet', OVERLAY_TABLE]);
  const lines: string[] = [];
  for (const o of objs) {
    if (o.chain && Object.values(c).includes(o.chain.name)) lines.push(`delete chain ${T} ${o.chain.name}`);
  }
  for (const o of objs) {
    if (o.set && Object.values(c).includes(o.set.name)) lines.push(`delete set ${T} ${o.set.name}`);
  }
  if (lines.length) nftApplyOrThrow(lines.join('\n') + '\n', `removing the vxlan firewall of network ${network}`);
}

/**
 * One difference from the wanted firewall. `structure`: a chain missing or empty (drift that CHECK
 * reports); `peers`: the peer set differs from the peer list (an update a sync point applies).
 */
export interface FirewallFinding {
  kind: 'structure' | 'peers';
  problem: string;
}

/** CHECK: the chains that should exist do, and the peer set holds exactly the peers. */
export function firewallDrift(f: OverlayFirewall): FirewallFinding[] {
  const c = chainNames(f.network);
  const objs = nftListJson(['table', 'inet', OVERLAY_TABLE]);
  const chains = new Set(objs.filter((o) => o.chain).map((o) => o.chain.name as string));
  const rules = objs.filter((o) => o.rule);
  const problems: FirewallFinding[] = [];
  const structure = (problem: string): number => problems.push({ kind: 'structure', problem });
  const need = (name: string, on: boolean): void => {
    if (!on) return;
    if (!chains.has(name)) structure(`nft chain ${OVERLAY_TABLE} ${name} is missing`);
    else if (!rules.some((r) => r.rule.chain === name)) structure(`nft chain ${OVERLAY_TABLE} ${name} has no rules`);
  };
  need(c.input, f.restrictPort);
  need(c.forward, f.allowForward);
  need(c.nat, f.masqSource !== undefined);
  if (f.restrictPort) {
    const setName = f.underlayFamily === 4 ? c.peers4 : c.peers6;
    const set = objs.find((o) => o.set?.name === setName)?.set;
    const have = new Set<string>((set?.elem ?? []).map((e: unknown) => canonicalIp(renderExpr(e)) ?? String(e)));
    const want = new Set(f.peers.map((p) => canonicalIp(p.ip)!).filter((ip) => (ip.includes(':') ? 6 : 4) === f.underlayFamily));
    for (const ip of want) if (!have.has(ip)) problems.push({ kind: 'peers', problem: `peer ${ip} is missing from nft set ${setName}` });
    for (const ip of have) if (!want.has(ip)) problems.push({ kind: 'peers', problem: `nft set ${setName} holds ${ip}, which is not a peer` });
  }
  return problems;
}
