// tuning ADD: read every original value first (a bad key fails before anything changes), save
// them, then change sysctls and the interface; any failure puts back what was already changed.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { log } from '../../shared/cni/log';
import type { Result } from '../../shared/cni/result';
import { chainedPrev, type Context } from '../../shared/cni/skel';
import { Netlink, type Link } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';
import { effectiveTuning, touchesLink, type LinkSettings, type TuningConf } from '../../shared/conf/tuning';
import { applySettings, currentSettings } from './link-settings';
import { STATE_LOCK, readState, removeState, writeState, type SavedState } from './saved-state';
import { withHostLock } from '../../shared/sys/host-lock';
import { checkAllowlist, readAllowlist, type SysctlSetting } from '../../shared/conf/tuning-sysctl';
import { readSysctl, writeSysctl } from './sysctl-io';

/** A second ADD without DEL must not take already-tuned values for the originals. */
function mergeOriginals(existing: SavedState | undefined, link: LinkSettings, sysctl: Record<string, string>): SavedState {
  const merged: SavedState = { ...link, ...(existing ?? {}) };
  const sys = { ...sysctl, ...(existing?.sysctl ?? {}) };
  if (Object.keys(sys).length) merged.sysctl = sys;
  else delete merged.sysctl;
  return merged;
}

function undo(n: Netlink, link: Link | undefined, original: LinkSettings, sysctls: SysctlSetting[], origSysctl: Record<string, string>): void {
  for (const s of [...sysctls].reverse()) {
    try {
      writeSysctl({ ...s, value: origSysctl[s.path]! });
    } catch (e) {
      log(`rollback: ${(e as Error).message}`);
    }
  }
  if (!link) return;
  try {
    const now = n.linkByIndex(link.index);
    if (now) applySettings(n, now, original);
  } catch (e) {
    log(`rollback: ${(e as Error).message}`);
  }
}

export function cmdAdd(ctx: Context<TuningConf>): Result {
  const prev = chainedPrev(ctx);
  const { ifname, containerId, netns } = ctx.env;
  const { dataDir } = ctx.conf;
  const t = effectiveTuning(ctx.conf, ctx.cniArgs, ifname);
  checkAllowlist(t.sysctls, readAllowlist());

  const newMac = inSandbox(netns, () => {
    const n = Netlink.open();
    try {
      const origSysctl: Record<string, string> = {};
      for (const s of t.sysctls) origSysctl[s.path] = readSysctl(s);
      let link: Link | undefined;
      if (touchesLink(t.link)) {
        link = n.linkByName(ifname);
        if (!link) throw new CniError(ErrorCode.Internal, `cannot find container link ${ifname} in ${netns}`);
      }
      const origLink = link ? currentSettings(link, t.link) : {};
      if (!t.sysctls.length && !link) return undefined;

      // A file of another network for this (containerID, ifname) is dead: that interface left.
      const saved = readState(dataDir, containerId, ifname);
      const existing = saved && (saved.network === undefined || saved.network === ctx.conf.name) ? saved : undefined;
      withHostLock(STATE_LOCK, () => writeState(dataDir, containerId, ifname, { ...mergeOriginals(existing, origLink, origSysctl), network: ctx.conf.name }));
      const done: SysctlSetting[] = [];
      try {
        for (const s of t.sysctls) {
          writeSysctl(s);
          done.push(s);
        }
        if (link) applySettings(n, link, t.link);
      } catch (e) {
        undo(n, link, origLink, done, origSysctl);
        if (existing) writeState(dataDir, containerId, ifname, existing);
        else removeState(dataDir, containerId, ifname);
        throw e;
      }
      return link && t.link.mac ? (n.linkByIndex(link.index)?.mac ?? t.link.mac) : undefined;
    } finally {
      n.close();
    }
  });

  const result: Result = structuredClone(prev);
  result.cniVersion = ctx.cniVersion;
  if (newMac) {
    // The container end carries a sandbox; a host link of the same name (none carries one) keeps its MAC.
    const ifaces = result.interfaces ?? [];
    const inSandboxMatches = ifaces.filter((i) => i.name === ifname && i.sandbox);
    for (const i of inSandboxMatches.length ? inSandboxMatches : ifaces.filter((i) => i.name === ifname)) i.mac = newMac;
  }
  return result;
}
