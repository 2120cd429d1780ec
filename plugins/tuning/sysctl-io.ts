// Reading and writing container sysctls with errors that name the user's key. Call inside the
// container netns: /proc/sys/net shows the netns of the thread that opens the file.
import { CniError, ErrorCode } from '../../shared/cni/error';
import { sysctlGet, sysctlSet } from '../../shared/sys/sysctl';
import type { SysctlSetting } from '../../shared/conf/tuning-sysctl';

const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

export function readSysctl(s: Pick<SysctlSetting, 'key' | 'path'>): string {
  try {
    return sysctlGet(s.path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `sysctl "${s.key}" in field "sysctl" does not exist in the container network namespace`);
    }
    if (errnoOf(e) === 'EISDIR') throw new CniError(ErrorCode.InvalidNetworkConfig, `sysctl "${s.key}" in field "sysctl" is a directory, not a setting`);
    throw new CniError(ErrorCode.Internal, `failed to read sysctl "${s.key}"`, (e as Error).message);
  }
}

export function writeSysctl(s: SysctlSetting): void {
  try {
    sysctlSet(s.path, s.value);
  } catch (e) {
    if (errnoOf(e) === 'EINVAL' || errnoOf(e) === 'ERANGE') {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid value "${s.value}" for sysctl "${s.key}" in field "sysctl"`);
    }
    throw new CniError(ErrorCode.Internal, `failed to set sysctl "${s.key}" to "${s.value}"`, (e as Error).message);
  }
}
