// The nftables backend: our own tables (tscni_masq, tscni_portmap, tscni_firewall), one element
// per container. Per-container element changes go through ./elements.ts.
import { toWire } from '../../cni/owner';
import { findExecutable } from '../exec';
import type { FirewallBackend } from '../firewall-backend';
import { nftForwardAdd, nftForwardCheck, nftForwardDel, nftForwardGc } from './forward';
import { nftMasqAdd, nftMasqCheck, nftMasqDel, nftMasqGc } from './masq';
import { nftPortmapAdd, nftPortmapCheck, nftPortmapDel, nftPortmapGc } from './portmap';

export const nftables: FirewallBackend = {
  name: 'nftables',
  masq: { add: nftMasqAdd, del: nftMasqDel, check: nftMasqCheck, gc: nftMasqGc },
  portmap: { add: nftPortmapAdd, del: nftPortmapDel, check: nftPortmapCheck, gc: nftPortmapGc },
  forward: { add: nftForwardAdd, del: nftForwardDel, check: nftForwardCheck, gc: (network, valid) => nftForwardGc(network, valid.map(toWire)) },
  present: () => findExecutable('nft') !== undefined,
};
