// Valid base inputs for every plugin on a reliability world, and the keys a fuzzer may change.
// Keys that decide where a plugin writes (dataDir, stateDir) or what it executes (dnsmasqPath,
// ipam.type) are never mutated at random: an empty dataDir means the machine's /var/lib/cni.
// They have explicit cases instead.
import path from 'node:path';
import type { World } from './world';

export interface PluginCase {
  role: string;
  /** The stdin of a successful call, given the world. */
  conf(w: World): Record<string, unknown>;
  /** Dotted paths the fuzzer may set to hostile values or delete. */
  keys: string[];
  ifname?: string;
}

const V = '1.1.0';
const NAME = 'tsknet';

const prevResult = (w: World, ifname = 'eth0', address = '10.232.9.5/24') => ({
  cniVersion: V,
  interfaces: [{ name: ifname, sandbox: w.ctrPath }],
  ips: [{ address, interface: 0, gateway: '10.232.9.1' }],
});

const ipam = (w: World, subnet: string) => ({ type: 'host-local', subnet, dataDir: w.dataDir });

const COMMON = ['name', 'cniVersion', 'cniVersions', 'prevResult', 'dns', 'args', 'runtimeConfig', 'capabilities'];

export const PLUGINS: PluginCase[] = [
  {
    role: 'loopback',
    conf: () => ({ cniVersion: V, name: NAME, type: 'loopback' }),
    keys: COMMON,
  },
  {
    role: 'host-local',
    conf: (w) => ({ cniVersion: V, name: NAME, ipam: { ...ipam(w, '10.232.1.0/24'), routes: [{ dst: '0.0.0.0/0' }] } }),
    keys: [...COMMON, 'ipam', 'ipam.subnet', 'ipam.ranges', 'ipam.rangeStart', 'ipam.rangeEnd', 'ipam.gateway', 'ipam.routes', 'ipam.routes.0.dst', 'runtimeConfig.ips', 'runtimeConfig.ipRanges', 'args.cni.ips'],
  },
  {
    role: 'bridge',
    conf: (w) => ({ cniVersion: V, name: NAME, type: 'bridge', bridge: 'tskpb0', isGateway: true, ipMasq: true, ipMasqBackend: 'nftables', ipam: ipam(w, '10.232.2.0/24') }),
    keys: [...COMMON, 'bridge', 'mtu', 'vlan', 'vlanTrunk', 'isGateway', 'isDefaultGateway', 'forceAddress', 'ipMasq', 'ipMasqBackend', 'hairpinMode', 'promiscMode', 'macspoofchk', 'portIsolation', 'mac', 'runtimeConfig.mac', 'ipam.subnet', 'ipam.ranges', 'ipam.gateway'],
  },
  {
    role: 'portmap',
    conf: (w) => ({
      cniVersion: V,
      name: NAME,
      type: 'portmap',
      backend: 'nftables',
      capabilities: { portMappings: true },
      runtimeConfig: { portMappings: [{ hostPort: 31000, containerPort: 80, protocol: 'tcp' }] },
      prevResult: prevResult(w),
    }),
    keys: [...COMMON, 'runtimeConfig.portMappings', 'runtimeConfig.portMappings.0', 'runtimeConfig.portMappings.0.hostPort', 'runtimeConfig.portMappings.0.containerPort', 'runtimeConfig.portMappings.0.protocol', 'runtimeConfig.portMappings.0.hostIP', 'prevResult.ips', 'prevResult.ips.0.address', 'prevResult.interfaces', 'snat', 'masqAll', 'markMasqBit', 'externalSetMarkChain', 'backend'],
  },
  {
    role: 'tuning',
    ifname: 'tun0',
    conf: (w) => ({
      cniVersion: V,
      name: NAME,
      type: 'tuning',
      dataDir: path.join(w.dir, 'tuning'),
      mtu: 1400,
      sysctl: { 'net.ipv4.conf.tun0.arp_ignore': '1' },
      prevResult: { cniVersion: V, interfaces: [{ name: 'tun0', sandbox: w.ctrPath }], ips: [] },
    }),
    keys: [...COMMON, 'sysctl', 'mtu', 'mac', 'promisc', 'allmulti', 'txQLen', 'runtimeConfig.mac', 'args.cni.mac', 'prevResult.interfaces'],
  },
  {
    role: 'macvlan',
    conf: (w) => ({ cniVersion: V, name: NAME, type: 'macvlan', master: 'mvm0', mode: 'bridge', ipam: ipam(w, '10.232.3.0/24') }),
    keys: [...COMMON, 'master', 'mode', 'mtu', 'mac', 'linkInContainer', 'bcqueuelen', 'runtimeConfig.mac', 'ipam.subnet'],
  },
  {
    // dnsmasqPath names nothing: whatever path reaches the server start must fail and roll back.
    role: 'dnsname',
    conf: (w) => ({
      cniVersion: V,
      name: NAME,
      type: 'dnsname',
      domainName: 'tsk.test',
      stateDir: path.join(w.dir, 'dns'),
      dnsmasqPath: path.join(w.dir, 'no-dnsmasq'),
      upstreamServers: ['192.0.2.53'],
      capabilities: { aliases: true },
      runtimeConfig: { aliases: { [NAME]: ['web'] } },
      prevResult: prevResult(w),
    }),
    keys: [...COMMON, 'domainName', 'upstreamServers', 'runtimeConfig.aliases', 'prevResult.ips', 'prevResult.interfaces'],
  },
  {
    role: 'vxlan',
    conf: (w) => ({
      cniVersion: V,
      name: NAME,
      type: 'vxlan',
      mode: 'l2',
      vni: 4242,
      underlay: { interface: 'mvm0', address: '192.0.2.11' },
      network: '10.233.0.0/24',
      nodeRange: { rangeStart: '10.233.0.10', rangeEnd: '10.233.0.50' },
      peers: [{ name: 'b', underlayIP: '192.0.2.12', nodeRange: { rangeStart: '10.233.0.60', rangeEnd: '10.233.0.99' } }],
      stateDir: path.join(w.dir, 'vxlan'),
      removeWhenIdle: true,
      ipam: { type: 'host-local', dataDir: w.dataDir },
    }),
    keys: [...COMMON, 'mode', 'vni', 'port', 'underlay', 'underlay.interface', 'underlay.address', 'mtu', 'vtepMac', 'device', 'bridge', 'flood', 'group', 'network', 'nodeSubnet', 'nodeRange', 'nodeRange.rangeStart', 'peers', 'peers.0.underlayIP', 'peers.0.nodeRange', 'ipMasq', 'firewall', 'delegate'],
  },
];

/** Sets (or deletes, value undefined) a dotted path, creating objects on the way; arrays by index. */
export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur: any = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = /^\d+$/.test(p) ? [] : {};
    cur = cur[p];
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}
