// --subnet / --gateway / --ip-range as Docker takes them, turned into host-local ranges. The N-th
// gateway and the N-th ip-range belong to the N-th subnet. Pure.
import { parseSubnet, subnetContainsIp, subnetText, type Subnet } from '../../../shared/overlay/addr';
import { canonicalIp, formatIp, parseIp, rangeWithin } from '../../../shared/cni/ip';
import { CliError } from '../cli-io';

export interface SubnetSpec {
  subnet: Subnet;
  gateway?: string;
  /** From --ip-range: the part of the subnet host-local hands out (inclusive). */
  rangeStart?: string;
  rangeEnd?: string;
}

/** A CIDR on its own boundary; the message shows the boundary Docker would want. */
export function parseCidrFlag(text: string, flag: string): Subnet {
  const loose = parseSubnet(text);
  if (!loose) throw new CliError(`invalid ${flag} ${JSON.stringify(text)}: not a CIDR like 172.25.0.0/16 or fd00:1::/64`);
  if (!parseSubnet(text, true)) throw new CliError(`invalid ${flag} ${text}: host bits are set (did you mean ${subnetText(loose)}?)`);
  return loose;
}

export const overlaps = (a: Subnet, b: Subnet): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

/** The addresses host-local may hand out for an ip-range: not the network or (IPv4) broadcast address. */
function usableRange(sub: Subnet, r: Subnet): { rangeStart?: string; rangeEnd?: string } {
  const lo = sub.first + 1n;
  const hi = sub.family === 4 ? sub.last - 1n : sub.last;
  const start = r.first > lo ? r.first : lo;
  const end = r.last < hi ? r.last : hi;
  if (start > end) throw new CliError(`invalid --ip-range ${subnetText(r)}: it holds no usable address of subnet ${subnetText(sub)}`);
  return {
    ...(start !== lo && { rangeStart: formatIp({ family: sub.family, value: start }) }),
    ...(end !== hi && { rangeEnd: formatIp({ family: sub.family, value: end }) }),
  };
}

export function subnetSpecs(subnets: readonly string[], gateways: readonly string[], ipRanges: readonly string[]): SubnetSpec[] {
  if (gateways.length > subnets.length) throw new CliError(`--gateway ${gateways[subnets.length]} has no --subnet: give one --gateway per --subnet, in the same order`);
  if (ipRanges.length > subnets.length) throw new CliError(`--ip-range ${ipRanges[subnets.length]} has no --subnet: give one --ip-range per --subnet, in the same order`);
  const specs: SubnetSpec[] = [];
  subnets.forEach((text, i) => {
    const subnet = parseCidrFlag(text, '--subnet');
    const other = specs.find((s) => overlaps(s.subnet, subnet));
    if (other) throw new CliError(`--subnet ${subnetText(subnet)} overlaps --subnet ${subnetText(other.subnet)}`);
    const spec: SubnetSpec = { subnet };
    const gw = gateways[i];
    if (gw !== undefined && gw !== '') {
      const g = canonicalIp(gw);
      if (!g) throw new CliError(`invalid --gateway ${JSON.stringify(gw)}: not an IP address`);
      if (!subnetContainsIp(subnet, g)) throw new CliError(`--gateway ${g} is outside its subnet ${subnetText(subnet)}`);
      const n = parseIp(g)!.value;
      if (n === subnet.first || (subnet.family === 4 && n === subnet.last && subnet.prefix < 31)) {
        throw new CliError(`--gateway ${g} is the ${n === subnet.first ? 'network' : 'broadcast'} address of ${subnetText(subnet)}`);
      }
      spec.gateway = g;
    }
    const rt = ipRanges[i];
    if (rt !== undefined && rt !== '') {
      const r = parseCidrFlag(rt, '--ip-range');
      if (!rangeWithin(r, subnet)) throw new CliError(`--ip-range ${subnetText(r)} is outside its subnet ${subnetText(subnet)}`);
      Object.assign(spec, usableRange(subnet, r));
    }
    specs.push(spec);
  });
  return specs;
}
