// loopback ADD: `lo` up (refusing one that carries a non-loopback address); the result lists it
// with its addresses unless an earlier plugin's result is passed through.
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { NetConf } from '../../shared/cni/netconf';
import type { Result } from '../../shared/cni/result';
import type { Context } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandbox } from '../../shared/netns/sandbox';

const isLoopbackAddr = (a: string): boolean => a.startsWith('127.') || a === '::1';

export function cmdAdd(ctx: Context<NetConf>): Result {
  const addrs = inSandbox(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const lo = nl.linkByName('lo');
      if (!lo) throw new CniError(ErrorCode.Internal, 'no loopback interface in the namespace');
      const list = nl.addrList({ index: lo.index });
      const foreign = list.find((a) => !isLoopbackAddr(a.address));
      if (foreign) throw new CniError(ErrorCode.Internal, `loopback interface found with non-loopback address ${foreign.cidr}`);
      nl.linkSetUp(lo.index);
      return nl.addrList({ index: lo.index });
    } finally {
      nl.close();
    }
  });
  if (ctx.prevResult) return ctx.prevResult;
  const v4 = addrs.find((a) => a.family === 4);
  const v6 = addrs.find((a) => a.family === 6);
  const ips = [v4, v6].filter((a) => a !== undefined).map((a) => ({ interface: 0, address: a.cidr }));
  return {
    cniVersion: ctx.cniVersion,
    interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ctx.env.netns }],
    ...(ips.length ? { ips } : {}),
  };
}
