// runtimeConfig.portMappings → forwards per family. Keys are matched case-insensitively, as Go's
// JSON decoder does: containerd sends HostPort/ContainerPort/Protocol/HostIP, podman camelCase.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { isUnspecified, parseIp } from '../../shared/firewall/addr';
import { PROTOCOLS, type ContainerAddr, type PortForward, type Protocol } from '../../shared/firewall';
import { describeForward } from '../../shared/firewall/portmap-types';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
  hostIP?: string;
}

const CANONICAL: Record<string, keyof PortMapping> = { hostport: 'hostPort', containerport: 'containerPort', protocol: 'protocol', hostip: 'hostIP' };
const FIELD = 'runtimeConfig.portMappings';

function bad(i: number, key: string, why: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "${FIELD}[${i}].${key}": ${why}`);
}

function port(v: unknown, i: number, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 65535) throw bad(i, key, `Invalid ${key === 'hostPort' ? 'host' : 'container'} port number: ${JSON.stringify(v)}`);
  return v;
}

export function parsePortMappings(raw: unknown): PortMapping[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "${FIELD}": expected a list`);
  return raw.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "${FIELD}[${i}]": expected an object`);
    const m: Partial<Record<keyof PortMapping, unknown>> = {};
    for (const [k, v] of Object.entries(item)) {
      const c = CANONICAL[k.toLowerCase()];
      if (c) m[c] = v;
    }
    const protoRaw = m.protocol === undefined || m.protocol === '' ? 'tcp' : m.protocol;
    const protocol = typeof protoRaw === 'string' ? protoRaw.toLowerCase() : '';
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw bad(i, 'protocol', `unknown protocol ${JSON.stringify(protoRaw)} (tcp, udp or sctp)`);
    const out: PortMapping = { hostPort: port(m.hostPort, i, 'hostPort'), containerPort: port(m.containerPort, i, 'containerPort'), protocol: protocol as Protocol };
    if (m.hostIP !== undefined && m.hostIP !== null && m.hostIP !== '') {
      if (typeof m.hostIP !== 'string') throw bad(i, 'hostIP', 'expected a string');
      const ip = parseIp(m.hostIP);
      if (!ip) throw bad(i, 'hostIP', `"${m.hostIP}" is not an IP address`);
      out.hostIP = ip.ip;
    }
    return out;
  });
}

/** Each mapping in each family the container has an address in (a hostIP narrows to its family). */
export function resolveForwards(mappings: PortMapping[], addrs: ContainerAddr[]): PortForward[] {
  const out: PortForward[] = [];
  const seen = new Map<string, PortForward>();
  for (const m of mappings) {
    const any = isUnspecified(m.hostIP);
    const hostFamily = any ? undefined : parseIp(m.hostIP!)!.family;
    for (const a of addrs) {
      if (hostFamily !== undefined && hostFamily !== a.family) continue;
      const f: PortForward = { family: a.family, protocol: m.protocol, hostPort: m.hostPort, containerIP: a.ip, containerPort: m.containerPort };
      if (!any) f.hostIP = m.hostIP;
      const key = `${f.family} ${f.hostIP ?? '*'} ${f.protocol}/${f.hostPort}`;
      const prev = seen.get(key);
      if (prev) {
        if (prev.containerPort === f.containerPort) continue;
        throw new CniError(ErrorCode.PortConflict, `host port ${describeForward(f)} is requested twice in ${FIELD}`, `to container ports ${prev.containerPort} and ${f.containerPort}`);
      }
      seen.set(key, f);
      out.push(f);
    }
  }
  return out;
}
