// loopback: what `--net none` leaves a container with — only `lo`, up.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { netConfSchema, type NetConf } from '../../shared/cni/netconf';
import type { Result } from '../../shared/cni/result';
import { runPlugin, type Context, type Plugin } from '../../shared/cni/skel';
import { Netlink } from '../../shared/netlink';
import { inSandbox, inSandboxIfPresent } from '../../shared/netns/sandbox';

const isLoopbackAddr = (a: string): boolean => a.startsWith('127.') || a === '::1';

function cmdAdd(ctx: Context<NetConf>): Result {
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

function cmdDel(ctx: Context<NetConf>): void {
  inSandboxIfPresent(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const lo = nl.linkByName('lo');
      if (lo) nl.linkSetUp(lo.index, false);
    } finally {
      nl.close();
    }
  });
}

function cmdCheck(ctx: Context<NetConf>): void {
  inSandbox(ctx.env.netns, () => {
    const nl = Netlink.open();
    try {
      const lo = nl.linkByName('lo');
      if (!lo?.up) throw new CniError(ErrorCode.Internal, 'loopback interface is down');
    } finally {
      nl.close();
    }
  });
}

export const loopback: Plugin<NetConf> = {
  name: 'loopback',
  about: 'tscni loopback: brings lo up in the container namespace',
  schema: netConfSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
};

export function main(): Promise<number> {
  return runPlugin(loopback);
}
