import { runPlugin } from '../../shared/cni/skel';
import { portmap } from './plugin';

export async function main(): Promise<number> {
  return runPlugin(portmap);
}
