import { z } from 'zod';
import { runPlugin } from '../../shared/cni/skel';
import { netConfSchema } from '../../shared/cni/netconf';
export async function main(): Promise<number> {
  return runPlugin({
    name: 'loopback',
    about: 'tscni loopback',
    schema: netConfSchema as z.ZodType<any>,
    add: () => ({ cniVersion: '1.1.0' }),
    del: () => {},
    check: () => {},
  });
}
