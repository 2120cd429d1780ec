// The iptables backend: the reference plugins' chains and rule layout (nat and filter tables).
import { toWire } from '../../cni/owner';
import { findExecutable } from '../exec';
import type { FirewallBackend } from '../firewall-backend';
import { iptForwardAdd, iptForwardCheck, iptForwardDel, iptForwardGc } from './forward';
import { iptMasqAdd, iptMasqCheck, iptMasqDel, iptMasqGc } from './masq';
import { iptPortmapAdd, iptPortmapCheck, iptPortmapDel, iptPortmapGc } from './portmap';

export const iptables: FirewallBackend = {
  name: 'iptables',
  masq: { add: iptMasqAdd, del: iptMasqDel, check: iptMasqCheck, gc: iptMasqGc },
  portmap: { add: iptPortmapAdd, del: iptPortmapDel, check: iptPortmapCheck, gc: iptPortmapGc },
  forward: { add: iptForwardAdd, del: iptForwardDel, check: iptForwardCheck, gc: (network, valid) => iptForwardGc(network, valid.map(toWire)) },
  present: () => findExecutable('iptables-save') !== undefined || findExecutable('ip6tables-save') !== undefined,
};
