import { runPlugin } from '../../shared/cni/skel';
import { dnsname } from './plugin';

export async function main(): Promise<number> {
  return runPlugin(dnsname);
}
