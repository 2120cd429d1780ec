// Which container addresses the ports lead to, chosen as the reference does: the first IPv4 and
// the first IPv6 entry of prevResult.ips whose interface is CNI_IFNAME inside a sandbox (entries
// without an interface index are accepted).
import type { Result } from '../../shared/cni/result';
import { parseCidr, subnetOf } from '../../shared/firewall/addr';
import type { ContainerAddr } from '../../shared/firewall';

export function containerAddrs(prev: Result, ifname: string): ContainerAddr[] {
  const out: ContainerAddr[] = [];
  for (const ipc of prev.ips ?? []) {
    if (ipc.interface !== undefined) {
      const itf = prev.interfaces?.[ipc.interface];
      if (!itf || itf.name !== ifname || !itf.sandbox) continue;
    }
    const c = parseCidr(ipc.address);
    if (!c || out.some((a) => a.family === c.family)) continue;
    out.push({ family: c.family, ip: c.ip, prefix: c.prefix, subnet: subnetOf(c) });
  }
  return out;
}
