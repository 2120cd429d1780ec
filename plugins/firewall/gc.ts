// GC: removes this network's entries whose attachment is not in cni.dev/valid-attachments.
import type { Attachment } from '../../shared/cni/owner';
import { forwardGc } from '../../shared/firewall';
import { backendFor, type Ctx } from './targets';

export function cmdGc(ctx: Ctx, valid: Attachment[]): void {
  forwardGc(backendFor(ctx, undefined), ctx.conf.name, valid);
}
