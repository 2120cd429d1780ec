// tuning configuration: the reference plugin's keys (sysctl, mac, promisc, mtu, txQLen,
// allmulti, dataDir), the `mac` capability, args.cni overrides and CNI_ARGS MAC=.
import path from 'node:path';
import { z } from 'zod';
import { macArg } from '../cni/args';
import { macSchema as mac } from '../cni/mac';
import { netConfSchema } from '../cni/netconf';
import { sysctlSettings, type SysctlSetting } from './tuning-sysctl';

// The reference reads a map of strings; numbers are accepted too since users write 1 for "1".
const sysctlMap = z.record(z.union([z.string(), z.number()]).transform(String));
const mtu = z.number().int().min(0).max(65535);
const txQLen = z.number().int().min(0).max(0xffffffff);

export const tuningSchema = netConfSchema.extend({
  dataDir: z
    .string()
    .default('/run/cni/tuning')
    .refine((d) => path.isAbsolute(d), 'must be an absolute path'),
  sysctl: sysctlMap.optional(),
  mac: mac.optional(),
  promisc: z.boolean().default(false),
  mtu: mtu.default(0),
  txQLen: txQLen.optional(),
  allmulti: z.boolean().optional(),
  runtimeConfig: z.object({ mac: mac.optional() }).passthrough().optional(),
  args: z
    .object({
      cni: z
        .object({
          sysctl: sysctlMap.optional(),
          mac: mac.optional(),
          promisc: z.boolean().optional(),
          mtu: mtu.optional(),
          txQLen: txQLen.optional(),
          allmulti: z.boolean().optional(),
        })
        .passthrough()
        .optional(),
    })
    .passthrough()
    .optional(),
});

export type TuningConf = z.infer<typeof tuningSchema>;

/** What is asked of one interface; undefined fields are left alone. */
export interface LinkSettings {
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
}

export interface Tuning {
  sysctls: SysctlSetting[];
  link: LinkSettings;
}

/**
 * The effective settings, with the reference's precedence: config < CNI_ARGS MAC <
 * runtimeConfig.mac < args.cni.*. promisc false means "leave it", as in the reference.
 */
export function effectiveTuning(c: TuningConf, cniArgs: Map<string, string>, ifname: string): Tuning {
  const a = c.args?.cni;
  const macAddr = a?.mac ?? c.runtimeConfig?.mac ?? macArg(cniArgs) ?? c.mac;
  const promisc = a?.promisc ?? c.promisc;
  const mtuValue = a?.mtu ?? c.mtu;
  const link: LinkSettings = {};
  if (macAddr) link.mac = macAddr.toLowerCase();
  if (promisc) link.promisc = true;
  if (mtuValue) link.mtu = mtuValue;
  const allmulti = a?.allmulti ?? c.allmulti;
  if (allmulti !== undefined) link.allmulti = allmulti;
  const q = a?.txQLen ?? c.txQLen;
  if (q !== undefined) link.txQLen = q;
  return { sysctls: sysctlSettings({ ...(c.sysctl ?? {}), ...(a?.sysctl ?? {}) }, ifname), link };
}

export const touchesLink = (s: LinkSettings): boolean => Object.keys(s).length > 0;
