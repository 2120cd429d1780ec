// Validation of every name that can reach a path or the kernel (spec §"Network configuration").
import { CniError, ErrorCode } from './error';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

export function validateNetworkName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new CniError(ErrorCode.InvalidNetworkConfig, 'missing network name');
  if (!NAME_RE.test(name)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid characters found in network name "${name}"`, 'name must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$');
  }
  return name;
}

export function validateContainerId(id: string | undefined): string {
  if (!id) throw new CniError(ErrorCode.UnknownContainer, 'missing containerID');
  if (!NAME_RE.test(id)) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid characters in containerID "${id}"`, 'CNI_CONTAINERID must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$');
  }
  return id;
}

/** Linux interface-name rules: 1–15 bytes, not . or .., no '/', ':' or whitespace. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'interface name is empty';
  if (Buffer.byteLength(name) > 15) return `interface name "${name}" is longer than 15 bytes`;
  if (name === '.' || name === '..') return `interface name "${name}" is not allowed`;
  if (/[/:\s\0]/.test(name)) return `interface name "${name}" contains '/', ':', NUL or whitespace`;
  return undefined;
}

export function validateIfName(name: string | undefined, what = 'CNI_IFNAME'): string {
  const problem = interfaceNameProblem(name ?? '');
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid ${what}`, problem);
  return name!;
}
