// Stale UDP flows: a conntrack entry created before the mapping existed keeps sending datagrams to
// the old destination (reference issue #123), so ADD deletes the entries for the mapped UDP ports.
import { log } from '../cni/log';
import { findExecutable, runTool } from './exec';
import type { PortForward } from './portmap-types';

export function flushUdpConntrack(forwards: PortForward[]): void {
  const udp = forwards.filter((f) => f.protocol === 'udp');
  if (!udp.length) return;
  if (!findExecutable('conntrack')) {
    log('conntrack not found: stale UDP flows for the mapped ports were not cleared');
    return;
  }
  const seen = new Set<string>();
  for (const f of udp) {
    const args = ['-D', '-f', f.family === 4 ? 'ipv4' : 'ipv6', '-p', 'udp', '--orig-port-dst', String(f.hostPort)];
    if (f.hostIP) args.push('--orig-dst', f.hostIP);
    const key = args.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    const r = runTool('conntrack', args);
    // Exit 1 with "0 flow entries" just means there was nothing to clear.
    if (!r.ok && !/0 flow entries/.test(r.stderr)) log(`conntrack ${key} failed: ${r.stderr.trim()}`);
  }
}
