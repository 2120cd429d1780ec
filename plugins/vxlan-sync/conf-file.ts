// The agent reads the same config the runtime hands the plugin: a conflist (the network name and
// cniVersion come from the list, the rest from its vxlan plugin) or one plugin config.
import fs from 'node:fs';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { parseConfig } from '../../shared/cni/netconf';
import { vxlanSchema, type VxlanConf } from '../../shared/overlay/config';

export function vxlanConfOf(json: unknown, file: string): VxlanConf {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new CniError(ErrorCode.DecodingFailure, `${file}: not a JSON object`);
  const j = json as Record<string, unknown>;
  let plugin: Record<string, unknown> = j;
  if (Array.isArray(j.plugins)) {
    const found = j.plugins.find((p) => p && typeof p === 'object' && (p as Record<string, unknown>).type === 'vxlan');
    if (!found) throw new CniError(ErrorCode.InvalidNetworkConfig, `${file}: the conflist has no plugin of type "vxlan"`);
    plugin = { cniVersion: j.cniVersion, name: j.name, ...(found as Record<string, unknown>) };
  } else if (j.type !== 'vxlan') {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${file}: field "type" is ${JSON.stringify(j.type)}, expected "vxlan" (or a conflist)`);
  }
  const conf = parseConfig(vxlanSchema, plugin, `vxlan config in ${file}`);
  if (!conf.store) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid vxlan config in ${file}: field "store": vxlan-sync follows a store; this network has none`);
  return conf;
}

export function readVxlanConf(file: string): VxlanConf {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `${file}: not JSON: ${(e as Error).message}`);
  }
  return vxlanConfOf(json, file);
}
