// tuning DEL: put back what ADD saved for this attachment, then forget it. Best effort and idempotent: no saved
// file, a gone netns or a gone interface is success; what cannot be restored is logged (the
// reference, too, never fails DEL), because a runtime retries a failing DEL forever.
import { log } from '../../shared/cni/log';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandboxIfPresent } from '../../shared/netns/sandbox';
import type { LinkSettings, TuningConf } from '../../shared/conf/tuning';
import { applySettings } from './link-settings';
import { STATE_LOCK, readState, removeState } from './saved-state';
import { withHostLock } from '../../shared/sys/host-lock';
import { sysctlPath } from '../../shared/conf/tuning-sysctl';
import { writeSysctl } from './sysctl-io';

export function cmdDel(ctx: Context<TuningConf>): void {
  withHostLock(STATE_LOCK, () => restore(ctx));
}

function restore(ctx: Context<TuningConf>): void {
  const { ifname, containerId, netns } = ctx.env;
  const { dataDir, name } = ctx.conf;
  const saved = readState(dataDir, containerId, ifname);
  if (!saved) return;
  // The file name is (containerID, ifname) only (the reference's): after this attachment left,
  // the same container may have joined another network with this ifname. Its state is not ours.
  if (saved.network !== undefined && saved.network !== name) {
    log(`DEL ${containerId}/${ifname}: the saved state belongs to network "${saved.network}", left as it is`);
    return;
  }
  const problems: string[] = [];
  inSandboxIfPresent(netns, () => {
    for (const [key, value] of Object.entries(saved.sysctl ?? {})) {
      try {
        // The file is input too: the path is validated as strictly as a config key.
        writeSysctl({ key, path: sysctlPath(key, ifname), value: String(value) });
      } catch (e) {
        // An interface sysctl whose interface is already gone has nothing left to restore.
        if (!/does not exist/.test((e as Error).message)) problems.push((e as Error).message);
      }
    }
    const original: LinkSettings = {};
    if (typeof saved.mtu === 'number' && saved.mtu > 0) original.mtu = saved.mtu;
    if (typeof saved.mac === 'string' && saved.mac) original.mac = saved.mac.toLowerCase();
    if (typeof saved.promisc === 'boolean') original.promisc = saved.promisc;
    if (typeof saved.allmulti === 'boolean') original.allmulti = saved.allmulti;
    if (typeof saved.txQLen === 'number') original.txQLen = saved.txQLen;
    if (!Object.keys(original).length) return;
    const n = Netlink.open();
    try {
      // One field at a time, so one refusal does not keep the others from coming back.
      for (const key of ['mtu', 'mac', 'promisc', 'allmulti', 'txQLen'] as const) {
        if (original[key] === undefined) continue;
        const link = n.linkByName(ifname);
        if (!link) break;
        try {
          applySettings(n, link, { [key]: original[key] });
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
    } finally {
      n.close();
    }
  });
  for (const p of problems) log(`DEL ${containerId}/${ifname}: could not restore: ${p}`);
  removeState(dataDir, containerId, ifname);
}
