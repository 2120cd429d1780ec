// The network's DNS server as every verb finds it: its files under the state dir, the dnsmasq
// binary, and the attachment a record belongs to.
import type { Attachment } from '../../shared/cni/owner';
import { CniError, ErrorCode } from '../../shared/cni/error';
import type { Context } from '../../shared/cni/skel';
import { findDnsmasq, networkFiles, stateBase, type NetworkFiles } from '../../shared/dns';
import type { DnsnameConf } from '../../shared/conf/dnsname';

export const filesOf = (ctx: Context<DnsnameConf>): NetworkFiles => networkFiles(stateBase(ctx.conf.stateDir), ctx.conf.name);
export const attachmentOf = (ctx: Context<DnsnameConf>): Attachment => ({ containerId: ctx.env.containerId, ifname: ctx.env.ifname });

export function dnsmasqBinary(conf: DnsnameConf): string {
  const bin = findDnsmasq(conf.dnsmasqPath);
  if (!bin) {
    const where = conf.dnsmasqPath ? `"${conf.dnsmasqPath}" (field "dnsmasqPath")` : 'on PATH or in /usr/local/sbin, /usr/sbin, /sbin';
    throw new CniError(ErrorCode.NotAvailable, `dnsname: dnsmasq not found ${where}`, 'install it (Debian: apt-get install dnsmasq-base)');
  }
  return bin;
}
