// macvlan configuration: the reference plugin's keys and defaults, validated with field names.
import { z } from 'zod';
import { pickCniArgs } from '../../shared/cni/args';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { interfaceNameProblem } from '../../shared/cni/names';
import { netConfSchema } from '../../shared/cni/netconf';

const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const mac = z.string().regex(MAC_RE, 'must be a MAC address like c2:11:22:33:44:55');

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
  const fromArgs = cniArgs.size ? pickCniArgs(cniArgs, ['MAC']).MAC : undefined;
  if (fromArgs !== undefined && !MAC_RE.test(fromArgs)) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid MAC address "${fromArgs}" in CNI_ARGS MAC`);
  }
  return (c.runtimeConfig?.mac ?? c.args?.cni?.mac ?? fromArgs ?? c.mac)?.toLowerCase();
}
