// bridge configuration: the reference plugin's keys and defaults, validated with field names.
import { z } from 'zod';
import { macArg } from '../cni/args';
import { CniError, ErrorCode } from '../cni/error';
import { interfaceNameProblem } from '../cni/names';
import { macSchema as mac } from '../cni/mac';
import { netConfSchema } from '../cni/netconf';

const trunkEntry = z
  .object({ id: z.number().int().optional(), minID: z.number().int().optional(), maxID: z.number().int().optional() })
  .passthrough();

export const bridgeSchema = netConfSchema.extend({
  bridge: z
    .string()
    .default('cni0')
    .refine((n) => !interfaceNameProblem(n), (n) => ({ message: interfaceNameProblem(n) ?? '' })),
  isGateway: z.boolean().default(false),
  isDefaultGateway: z.boolean().default(false),
  forceAddress: z.boolean().default(false),
  ipMasq: z.boolean().default(false),
  ipMasqBackend: z.string().optional(),
  mtu: z.number().int().min(0).max(65535).default(0),
  hairpinMode: z.boolean().default(false),
  promiscMode: z.boolean().default(false),
  vlan: z.number().int().default(0),
  vlanTrunk: z.array(trunkEntry).optional(),
  // true: VLAN 1 stays on the port next to `vlan`/`vlanTrunk`, as the reference 1.1.1 (which never
  // removed it) and 1.3–1.7 (default true) do; 1.8 changed the default to false (README).
  preserveDefaultVlan: z.boolean().default(true),
  enabledad: z.boolean().default(false),
  macspoofchk: z.boolean().default(false),
  disableContainerInterface: z.boolean().default(false),
  portIsolation: z.boolean().default(false),
  runtimeConfig: z.object({ mac: mac.optional() }).passthrough().optional(),
  args: z.object({ cni: z.object({ mac: mac.optional() }).passthrough().optional() }).passthrough().optional(),
});

export type BridgeConf = z.infer<typeof bridgeSchema>;

export interface VlanRange {
  min: number;
  max: number;
}

const bad = (msg: string): CniError => new CniError(ErrorCode.InvalidNetworkConfig, msg);

/** Cross-field rules the reference enforces on ADD; run before anything is touched. */
export function validateBridgeConf(c: BridgeConf): { trunk: VlanRange[] } {
  if (c.vlan < 0 || c.vlan > 4094) throw bad(`invalid VLAN ID ${c.vlan} (must be between 0 and 4094): field "vlan"`);
  if (c.hairpinMode && c.promiscMode) throw bad('cannot set hairpin mode and promiscuous mode at the same time: fields "hairpinMode", "promiscMode"');
  if (c.disableContainerInterface && c.ipam?.type) {
    throw bad('cannot use IPAM when the container interface is disabled: fields "disableContainerInterface", "ipam"');
  }
  // An access port or a trunk, not both: the reference (1.3–1.7) refuses the pair the same way.
  if (c.vlan !== 0 && c.vlanTrunk?.length) throw bad('cannot set vlan and vlanTrunk at the same time: fields "vlan", "vlanTrunk"');
  const trunk: VlanRange[] = [];
  for (const [i, t] of (c.vlanTrunk ?? []).entries()) {
    if (t.id !== undefined) {
      if (t.id < 1 || t.id > 4094) throw bad(`invalid VLAN ID ${t.id} in vlanTrunk[${i}].id (must be between 1 and 4094)`);
      trunk.push({ min: t.id, max: t.id });
    }
    if (t.minID !== undefined || t.maxID !== undefined) {
      if (t.minID === undefined || t.maxID === undefined) throw bad(`vlanTrunk[${i}]: minID and maxID must be given together`);
      if (t.minID < 1 || t.maxID > 4094 || t.minID > t.maxID) throw bad(`vlanTrunk[${i}]: invalid range ${t.minID}-${t.maxID} (1 ≤ minID ≤ maxID ≤ 4094)`);
      trunk.push({ min: t.minID, max: t.maxID });
    }
    if (t.id === undefined && t.minID === undefined) throw bad(`vlanTrunk[${i}]: needs "id" or "minID"/"maxID"`);
  }
  return { trunk };
}

/** Container MAC: runtimeConfig > args.cni > CNI_ARGS MAC=, as in the reference. */
export function containerMac(c: BridgeConf, cniArgs: Map<string, string>): string | undefined {
  return (c.runtimeConfig?.mac ?? c.args?.cni?.mac ?? macArg(cniArgs))?.toLowerCase();
}
