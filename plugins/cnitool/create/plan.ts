// From the command line and what is known about the host and the other networks to a
// NetworkPlan: subnets checked for overlaps or taken from the default pools, the macvlan parent
// and vxlan underlay checked, the vxlan VNI and static peers resolved. Pure: the facts are passed in.
import { subnetText } from '../../../shared/overlay/addr';
import { canonicalIp, type Family } from '../../../shared/cni/ip';
import type { Peer } from '../../../shared/overlay/peers';
import { CliError } from '../cli-io';
import { defaultVni, type NetworkPlan } from './conflist';
import type { CreateArgs } from './flags';
import type { DriverOptions } from './options';
import { firstOverlap, pickFromPools, poolsText, type Occupied } from './pool';
import { subnetSpecs, type SubnetSpec } from './subnets';

export interface PlanFacts {
  /** Subnets of the other networks in NETCONFPATH. */
  networks: Occupied[];
  /** Subnets of the host's routes and addresses. */
  host: Occupied[];
  linkNames: string[];
  addresses: string[];
  /** vxlan -o peers=FILE: the file's parsed JSON. */
  peers?: unknown;
}

function requireLink(facts: PlanFacts, option: string, name: string): void {
  if (!facts.linkNames.includes(name)) throw new CliError(`-o ${option}=${name}: no link named ${name} on this host`);
}

function subnetsFor(args: CreateArgs, o: DriverOptions, facts: PlanFacts): SubnetSpec[] {
  if (o.driver === 'vxlan') {
    if (args.subnets.length > 1) throw new CliError('the vxlan driver takes one --subnet (the overlay network)');
    if (args.gateways.length) throw new CliError('--gateway is not used by the vxlan driver (each host\'s bridge is its own gateway)');
    if (args.ipRanges.length) throw new CliError('--ip-range is not used by the vxlan driver (the hosts share the subnet out among themselves)');
  }
  const specs = subnetSpecs(args.subnets, args.gateways, args.ipRanges);
  // A macvlan's subnet is its parent's LAN, which the host routes by design: only other
  // networks count. Everything else lives on this host alone and must not shadow a route.
  const used = o.driver === 'macvlan' ? facts.networks : [...facts.networks, ...facts.host];
  for (const s of specs) {
    const hit = firstOverlap(s.subnet, used);
    if (hit) throw new CliError(`pool overlaps with ${hit.what}: --subnet ${subnetText(s.subnet)}`);
  }
  const want: Family[] = [];
  const has = (f: Family): boolean => specs.some((s) => s.subnet.family === f);
  if (o.driver === 'vxlan') {
    if (!specs.length) want.push(args.ipv6 ? 6 : 4);
  } else {
    if (!specs.length) want.push(4);
    if (args.ipv6 && !has(6)) want.push(6);
  }
  for (const f of want) {
    const taken = [...facts.networks, ...facts.host, ...specs.map((s) => ({ subnet: s.subnet, what: 'this network' }))];
    const subnet = pickFromPools(f, taken);
    if (!subnet) throw new CliError(`no free IPv${f} subnet left in the default pools (${poolsText(f)}): give --subnet`);
    specs.push({ subnet });
  }
  return specs;
}

function peersFrom(json: unknown, file: string): Peer[] {
  if (!Array.isArray(json) || !json.every((p) => p && typeof p === 'object' && !Array.isArray(p) && typeof (p as Peer).underlayIP === 'string')) {
    throw new CliError(`-o peers=${file}: must be a JSON list of hosts like [{"underlayIP": "192.0.2.11", "nodeRange": {...}}]`);
  }
  return json as Peer[];
}

export function planNetwork(args: CreateArgs, o: DriverOptions, facts: PlanFacts): NetworkPlan {
  if (o.driver === 'macvlan') requireLink(facts, 'parent', o.parent);
  if (o.driver === 'vxlan' && o.underlay) requireLink(facts, 'underlay', o.underlay);
  const plan: NetworkPlan = { name: args.name, options: o, subnets: subnetsFor(args, o, facts), internal: args.internal, dns: args.dns && o.driver === 'bridge' };
  if (o.driver === 'vxlan') {
    const v: NonNullable<NetworkPlan['vxlan']> = { vni: o.vni ?? defaultVni(args.name) };
    if (o.peersFile) {
      v.peers = peersFrom(facts.peers, o.peersFile);
      const mine = new Set(facts.addresses.map((a) => canonicalIp(a) ?? a));
      v.self = v.peers.find((p) => mine.has(canonicalIp(p.underlayIP) ?? p.underlayIP));
      // Without a store, this host's share must come from its own entry in the list.
      if (!v.self && !o.etcd) throw new CliError(`-o peers=${o.peersFile}: no entry has an underlayIP of this host (${facts.addresses.join(', ') || 'no addresses'})`);
    }
    plan.vxlan = v;
  }
  return plan;
}
