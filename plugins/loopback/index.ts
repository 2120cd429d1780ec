// loopback: what `--net none` leaves a container with — only `lo`, up.
import { netConfSchema, type NetConf } from '../../shared/cni/netconf';
import { runPlugin, type Plugin } from '../../shared/cni/skel';
import { cmdAdd } from './add';
import { cmdCheck } from './check';
import { cmdDel } from './del';

export const loopback: Plugin<NetConf> = {
  name: 'loopback',
  about: 'tscni loopback: brings lo up in the container namespace',
  schema: netConfSchema,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
};

export function main(): Promise<number> {
  return runPlugin(loopback);
}
