// The "store" section of an overlay config: where the hosts of one network meet (etcd v3).
// Checked with the rest of the config, before anything on the host or in the store changes.
import { z } from 'zod';

const endpoint = z.string().regex(/^https?:\/\/[^/\s]+\/?$/, 'must be a URL like https://10.0.0.5:2379');

export const storeSchema = z
  .object({
    type: z.literal('etcd', { errorMap: () => ({ message: 'must be "etcd" (the only store implemented)' }) }),
    endpoints: z.array(endpoint).min(1, 'needs at least one etcd endpoint'),
    /** Every key of this network lives under it; default /tscni/vxlan/<network name>. */
    prefix: z
      .string()
      .regex(/^\/\S*[^/\s]$/, 'must start with "/", have no spaces and not end with "/"')
      .optional(),
    tls: z
      .object({ ca: z.string().min(1), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
      .strict()
      .refine((t) => (t.cert === undefined) === (t.key === undefined), 'give "cert" and "key" together (client certificate) or neither')
      .optional(),
    /** Seconds a host's registration and claims outlive its last renewal (flannel: 24 h). */
    leaseTTL: z.number().int().min(5).max(10 * 365 * 86400).default(86400),
    /** Per etcd request, so an unreachable store fails a CNI call quickly. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  })
  .strict()
  .superRefine((s, ctx) => {
    const https = s.endpoints.map((e) => e.startsWith('https://'));
    if (https.some((h) => h !== https[0])) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: 'mixes http:// and https:// endpoints' });
    else if (https[0] && !s.tls) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'https endpoints need "tls" (at least "ca")' });
    else if (!https[0] && s.tls) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS settings given, but the endpoints are http://' });
  });

export type StoreConf = z.infer<typeof storeSchema>;

export const storePrefix = (s: StoreConf, network: string): string => s.prefix ?? `/tscni/vxlan/${network}`;
