// The fields every network config shares, as zod schemas; plugins extend them. Unknown keys are
// kept (passthrough) because the spec says they must survive untouched.
import { z } from 'zod';
import { CniError, ErrorCode } from './error';
import { fromWire, type Attachment } from './owner';

export const dnsSchema = z
  .object({
    nameservers: z.array(z.string()).optional(),
    domain: z.string().optional(),
    search: z.array(z.string()).optional(),
    options: z.array(z.string()).optional(),
  })
  .passthrough();

export const netConfSchema = z
  .object({
    cniVersion: z.string().optional(),
    name: z.string(),
    type: z.string().optional(),
    capabilities: z.record(z.boolean()).optional(),
    ipam: z.object({ type: z.string().optional() }).passthrough().optional(),
    dns: dnsSchema.optional(),
    prevResult: z.unknown().optional(),
    runtimeConfig: z.record(z.unknown()).optional(),
    args: z.record(z.unknown()).optional(),
  })
  .passthrough();

export type NetConf = z.infer<typeof netConfSchema>;

/** One entry of cni.dev/valid-attachments as the spec spells it (`containerID`). */
const attachmentSchema = z.object({ containerID: z.string(), ifname: z.string() }).passthrough();

function pathOf(issue: z.ZodIssue): string {
  return issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : '(root)';
}

/** Validates with a schema; the error names each bad field (code 7). */
export function parseConfig<T extends z.ZodTypeAny>(schema: T, data: unknown, what = 'network config'): z.infer<T> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 5).map((i) => `field "${pathOf(i)}": ${i.message}`);
  throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what}: ${problems.join('; ')}`);
}

/** The valid attachments a GC call carries (libcni also sends the legacy key), in the code's spelling. */
export function validAttachments(json: Record<string, unknown>): Attachment[] {
  const raw = json['cni.dev/valid-attachments'] ?? json['cni.dev/attachments'] ?? [];
  return parseConfig(z.array(attachmentSchema), raw, 'cni.dev/valid-attachments').map(fromWire);
}
