// tuning CHECK (prevResult required, see shared/cni/skel.ts): every configured value is what the container has now.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';
import { effectiveTuning, touchesLink, type TuningConf } from '../../shared/conf/tuning';
import { currentSettings, differences } from './link-settings';
import { sameSysctlValue } from '../../shared/conf/tuning-sysctl';
import { readSysctl } from './sysctl-io';

export function cmdCheck(ctx: Context<TuningConf>): void {
  const { ifname, netns } = ctx.env;
  const t = effectiveTuning(ctx.conf, ctx.cniArgs, ifname);
  const problems = inSandbox(netns, () => {
    const out: string[] = [];
    for (const s of t.sysctls) {
      const cur = readSysctl(s);
      if (!sameSysctlValue(cur, s.value)) out.push(`sysctl ${s.key}: configured value is ${s.value}, current value is ${cur}`);
    }
    if (!touchesLink(t.link)) return out;
    const n = Netlink.open();
    try {
      const link = n.linkByName(ifname);
      if (!link) return [...out, `cannot find container link ${ifname}`];
      return [...out, ...differences(ifname, t.link, currentSettings(link, t.link))];
    } finally {
      n.close();
    }
  });
  if (problems.length) throw new CniError(ErrorCode.Internal, `tuning check failed: ${problems.join('; ')}`);
}
