// libcni checks the attachment's identity before it starts any plugin on ADD, with these
// exact messages and codes (they surface as "plugin type=... failed (add): <msg>").
import { ErrorCode } from '../cni/error';
import { PluginError } from './exec';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;
const MAX_IFNAME = 15;

export function validateContainerID(id: string): void {
  if (id === '') throw new PluginError(ErrorCode.UnknownContainer, 'missing containerID');
  if (!NAME_RE.test(id)) throw new PluginError(ErrorCode.InvalidEnvironment, 'invalid characters in containerID', id);
}

export function validateNetworkName(name: string): void {
  if (name === '') throw new PluginError(ErrorCode.InvalidNetworkConfig, 'missing network name:');
  if (!NAME_RE.test(name)) throw new PluginError(ErrorCode.InvalidNetworkConfig, 'invalid characters found in network name', name);
}

export function validateInterfaceName(ifName: string): void {
  if (ifName === '') throw new PluginError(ErrorCode.InvalidEnvironment, 'interface name is empty');
  if (Buffer.byteLength(ifName) > MAX_IFNAME) {
    throw new PluginError(ErrorCode.InvalidEnvironment, 'interface name is too long', `interface name should be less than ${MAX_IFNAME + 1} characters`);
  }
  if (ifName === '.' || ifName === '..') throw new PluginError(ErrorCode.InvalidEnvironment, 'interface name is . or ..');
  if (/[/:\s]/u.test(ifName)) throw new PluginError(ErrorCode.InvalidEnvironment, 'interface name contains / or : or whitespace characters');
}
