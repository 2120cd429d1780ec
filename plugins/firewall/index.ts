import { runPlugin } from '../../shared/cni/skel';
import { firewall } from './plugin';

export async function main(): Promise<number> {
  return runPlugin(firewall);
}
