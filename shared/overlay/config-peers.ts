// The static peer list: each underlay address once, each peer's share of the mode's kind and
// inside the network, and no two hosts' shares overlapping (shares.ts).
import type { Subnet } from './addr';
import { canonicalIp } from '../cni/ip';
import { badField as bad } from './conf-error';
import type { VxlanConf } from './config';
import { parseNodeSubnet, parseRange, type HostShare } from './config-share';
import { overlappingShares, type ListedShare } from './shares';

export function checkPeers(c: VxlanConf, network: Subnet, own: HostShare): void {
  const seen = new Map<string, number>();
  const ranges: ListedShare[] = own.nodeRange ? [{ field: 'nodeRange', span: own.nodeRange.range }] : [];
  const subnets: (ListedShare & { prefix: number })[] = own.nodeSubnet ? [{ field: 'nodeSubnet', span: own.nodeSubnet, prefix: own.nodeSubnet.prefix }] : [];
  for (const [i, p] of c.peers.entries()) {
    const f = `peers[${i}]`;
    const u = canonicalIp(p.underlayIP)!;
    if (seen.has(u)) throw bad(`${f}.underlayIP`, `${u} is listed twice (also peers[${seen.get(u)}])`);
    seen.set(u, i);
    if (c.mode === 'l3') {
      if (!p.subnet) throw bad(`${f}.subnet`, 'required in l3 mode (the peer\'s node subnet)');
      if (p.nodeRange) throw bad(`${f}.nodeRange`, 'l3 peers have a "subnet"');
      const s = parseNodeSubnet(p.subnet, `${f}.subnet`, network);
      subnets.push({ field: `${f}.subnet`, span: s, prefix: s.prefix });
    } else {
      if (p.subnet) throw bad(`${f}.subnet`, 'l2 peers share "network"; give their "nodeRange" instead');
      if (p.nodeRange) ranges.push({ field: `${f}.nodeRange`, span: parseRange(p.nodeRange, `${f}.nodeRange`, network) });
    }
  }
  const ownFirst = own.nodeRange !== undefined || own.nodeSubnet !== undefined;
  const r = overlappingShares(ranges, ownFirst);
  if (r) throw bad(r[1].field, `overlaps ${r[0].field}: two hosts would hand out the same addresses`);
  const s = overlappingShares(subnets, ownFirst);
  if (s) throw bad(s[1].field, `overlaps ${s[0].field}: two hosts would own the same addresses`);
  if (c.store && c.mode === 'l3' && !own.nodeSubnet) {
    // Static peers claim subnets the store does not know about: they must be of the claimed size.
    for (const sn of subnets) if (sn.prefix !== own.subnetLen) throw bad(sn.field, `is a /${sn.prefix}; hosts of this network own /${own.subnetLen} subnets ("subnetLen")`);
  }
}
