// macvlan configuration: the reference plugin's keys and defaults, validated with field names.
import { z } from 'zod';
import { macArg } from '../cni/args';
import { CniError, ErrorCode } from '../cni/error';
import { interfaceNameProblem } from '../cni/names';
import { macSchema as mac } from '../cni/mac';
import { netConfSchema } from '../cni/netconf';


export const MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export type MacvlanMode = (typeof MODES)[number];

export const macvlanSchema = netConfSchema.extend({
  /** Empty: the interface of the default route (in the container netns with linkInContainer). */
  master: z
    .string()
    .default('')
    .refine((n) => n === '' || !interfaceNameProblem(n), (n) => ({ message: interfaceNameProblem(n) ?? '' })),
  // "" is bridge in the reference too.
  mode: z
    .union([z.literal(''), z.enum(MODES)], { errorMap: () => ({ message: `must be one of ${MODES.join(', ')}` }) })
    .default('bridge')
    .transform((m): MacvlanMode => m || 'bridge'),
  mtu: z.number().int().min(0).max(65535).default(0),
  mac: mac.optional(),
  linkInContainer: z.boolean().default(false),
  bcqueuelen: z.number().int().min(0).optional(),
  runtimeConfig: z.object({ mac: mac.optional() }).passthrough().optional(),
  args: z.object({ cni: z.object({ mac: mac.optional() }).passthrough().optional() }).passthrough().optional(),
});

export type MacvlanConf = z.infer<typeof macvlanSchema>;

/** Checks that need no kernel; run before anything is touched. */
export function validateMacvlanConf(c: MacvlanConf): void {
  if (c.bcqueuelen !== undefined) {
    // The netlink layer has no IFLA_MACVLAN_BC_QUEUE_LEN yet: refuse rather than ignore.
    throw new CniError(ErrorCode.UnsupportedField, `field "bcqueuelen" (${c.bcqueuelen}) is not supported by this macvlan plugin yet`);
  }
}

/** Container MAC: runtimeConfig (the `mac` capability) > args.cni.mac > CNI_ARGS MAC= > mac. */
export function containerMac(c: MacvlanConf, cniArgs: Map<string, string>): string | undefined {
  return (c.runtimeConfig?.mac ?? c.args?.cni?.mac ?? macArg(cniArgs) ?? c.mac)?.toLowerCase();
}
