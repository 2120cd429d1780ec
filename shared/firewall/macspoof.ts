// macspoofchk: frames entering the bridge from a container port must carry that container's MAC.
// One nftables bridge-family table; containers are set elements (no per-container rules), each
// commented with its owner "<net>/<containerID>/<ifname>" so DEL and GC find them without knowing
// the port or MAC, and remove only what that owner holds. nft runs through the firewall layer
// (exec.ts: the sbin dirs are searched even when a runtime passes PATH=/usr/bin:/bin).
import type { Owner } from '../cni/owner';
import { withFirewallLock } from './lock';
import { belongsToNetwork, ownerTag } from './names';
import { ifnameLit } from './nft/forward-owners';
import { nftApplyOrThrow, nftListJson, quote } from './nft/run';

const TABLE = 'bridge tscni_macspoof';

export interface MacspoofTarget extends Owner {
  hostIface: string;
  mac: string;
}

function macLit(mac: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new Error(`macspoofchk: invalid MAC address "${mac}"`);
  return mac.toLowerCase();
}

export function macspoofAdd(o: MacspoofTarget): void {
  const tag = quote(ownerTag(o.network, o.containerId, o.ifname));
  const port = ifnameLit(o.hostIface);
  const script = [
    `add table ${TABLE} { comment "tscni bridge macspoofchk"; }`,
    `add set ${TABLE} guarded { type ifname; }`,
    `add set ${TABLE} allowed { type ifname . ether_addr; }`,
    `add chain ${TABLE} prerouting { type filter hook prerouting priority -300; policy accept; }`,
    `flush chain ${TABLE} prerouting`,
    `add rule ${TABLE} prerouting iifname @guarded iifname . ether saddr != @allowed drop`,
    `add element ${TABLE} allowed { ${port} . ${macLit(o.mac)} comment ${tag} }`,
    `add element ${TABLE} guarded { ${port} comment ${tag} }`,
  ].join('\n');
  withFirewallLock(() => nftApplyOrThrow(script, 'macspoofchk ADD'));
}

/** Deletes, in one transaction, the elements whose owner `isMine` accepts; runs under the lock. */
function release(isMine: (comment: string) => boolean): void {
  withFirewallLock(() => {
    const lines: string[] = [];
    for (const o of nftListJson(['table', ...TABLE.split(' ')])) {
      const set = o.set;
      if (!set?.elem || (set.name !== 'guarded' && set.name !== 'allowed')) continue;
      for (const e of set.elem) {
        const comment = e?.elem?.comment;
        if (typeof comment !== 'string' || !isMine(comment)) continue;
        const v = e.elem.val;
        const key = set.name === 'guarded' ? ifnameLit(String(v)) : `${ifnameLit(String(v.concat[0]))} . ${macLit(String(v.concat[1]))}`;
        lines.push(`delete element ${TABLE} ${set.name} { ${key} }`);
      }
    }
    if (lines.length) nftApplyOrThrow(lines.join('\n'), 'macspoofchk teardown');
  });
}

/** Removes this owner's elements only (also the "<containerID>/<ifname>" tags of older versions). */
export function macspoofDel(o: Owner): void {
  const tag = ownerTag(o.network, o.containerId, o.ifname);
  const legacy = `${o.containerId}/${o.ifname}`;
  release((c) => c === tag || c === legacy);
}

/** Removes the elements of `network` whose attachment is not in `valid` (wire format). */
export function macspoofGc(network: string, valid: { containerID: string; ifname: string }[]): void {
  const keep = new Set(valid.map((v) => ownerTag(network, v.containerID, v.ifname)));
  release((c) => belongsToNetwork(c, network) && !keep.has(c));
}
