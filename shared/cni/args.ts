// CNI_ARGS: "K=V;K=V", the container arguments a runtime passes. One policy for every plugin that
// reads them, libcni's (pkg/types/args.go LoadArgs; see cni-reference §1.8): a key the suite does
// not know is an error (code 4) unless IgnoreUnknown is true, so a typo in a runtime's args is not
// silently dropped. The known keys are the union of what the suite reads (IP for host-local, MAC
// for bridge/macvlan/tuning, the K8S_* keys podman and kubelet send, K8S_POD_NAME for dnsname).
// Plugins that read no argument (loopback, portmap, firewall, vxlan) do not check them, as in
// the reference.
import { CniError, ErrorCode } from './error';
import { isMac } from './mac';

export const KNOWN_CNI_ARGS = ['IgnoreUnknown', 'IP', 'MAC', 'K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID'] as const;
export type CniArgName = Exclude<(typeof KNOWN_CNI_ARGS)[number], 'IgnoreUnknown'>;
export type ContainerArgs = Partial<Record<CniArgName, string>>;

/** The syntax only: pairs with a non-empty key and value (as libcni's parser). */
export function parseCniArgs(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const item of raw.split(';')) {
    if (item === '') continue;
    const kv = item.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') {
      throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_ARGS pair "${item}"`);
    }
    out.set(kv[0]!, kv[1]!);
  }
  return out;
}

/** libcni's UnmarshallableBool: 1/true and 0/false in any case, anything else is an error. */
function ignoreUnknown(args: Map<string, string>): boolean {
  const v = args.get('IgnoreUnknown');
  if (v === undefined) return false;
  const l = v.toLowerCase();
  if (l === '1' || l === 'true') return true;
  if (l === '0' || l === 'false') return false;
  throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_ARGS IgnoreUnknown "${v}"`, 'use 1, true, 0 or false');
}

/** The known arguments; throws code 4 naming the unknown ones unless IgnoreUnknown is true. */
export function containerArgs(args: Map<string, string>): ContainerArgs {
  const picked: ContainerArgs = {};
  const unknown: string[] = [];
  for (const [k, v] of args) {
    if (k === 'IgnoreUnknown') continue;
    if ((KNOWN_CNI_ARGS as readonly string[]).includes(k)) picked[k as CniArgName] = v;
    else unknown.push(k);
  }
  if (ignoreUnknown(args) || !unknown.length) return picked;
  throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: unknown args [${unknown.map((u) => `"${u}"`).join(' ')}]`, 'set IgnoreUnknown=1 to ignore them');
}

/** CNI_ARGS MAC=, checked (code 4 naming it); undefined when absent. */
export function macArg(args: Map<string, string>): string | undefined {
  const mac = args.size ? containerArgs(args).MAC : undefined;
  if (mac !== undefined && !isMac(mac)) throw new CniError(ErrorCode.InvalidEnvironment, `invalid MAC address "${mac}" in CNI_ARGS MAC`);
  return mac;
}
