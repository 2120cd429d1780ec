// One `nft -f -` transaction per call, and the few listings the slow paths need.
import { CniError, ErrorCode } from '../../cni/error';
import { runTool } from '../exec';

export type NftOutcome = 'ok' | 'missing' | 'exists' | 'busy' | 'failed';

export interface NftApplied {
  outcome: NftOutcome;
  stderr: string;
}

/** Applies a script atomically; classifies the failure (ENOENT / EEXIST) for the caller. */
export function nftApply(script: string): NftApplied {
  const r = runTool('nft', ['-f', '-'], script);
  if (r.ok) return { outcome: 'ok', stderr: '' };
  const e = r.stderr;
  if (e.includes('File exists')) return { outcome: 'exists', stderr: e };
  if (e.includes('No such file or directory')) return { outcome: 'missing', stderr: e };
  if (e.includes('Device or resource busy')) return { outcome: 'busy', stderr: e };
  return { outcome: 'failed', stderr: e };
}

export function nftApplyOrThrow(script: string, what: string): void {
  const r = nftApply(script);
  if (r.outcome !== 'ok') throw new CniError(ErrorCode.Internal, `nftables: ${what} failed`, r.stderr.trim());
}

/** The objects of `nft -j list ...`; an absent table yields []. */
export function nftListJson(args: string[]): any[] {
  const r = runTool('nft', ['-j', 'list', ...args]);
  if (!r.ok) {
    if (r.stderr.includes('No such file or directory')) return [];
    throw new CniError(ErrorCode.Internal, `nftables: list ${args.join(' ')} failed`, r.stderr.trim());
  }
  try {
    return (JSON.parse(r.stdout).nftables ?? []) as any[];
  } catch {
    throw new CniError(ErrorCode.Internal, `nftables: cannot parse the output of list ${args.join(' ')}`);
  }
}

/** One element of a set or map as listed: its key (nft syntax), value and comment. */
export interface ListedElement {
  set: string;
  key: string;
  value?: string;
  comment?: string;
}

/** Renders a JSON expression of a listed element back into nft syntax. */
export function renderExpr(v: any): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && typeof v === 'object') {
    if ('concat' in v) return (v.concat as any[]).map(renderExpr).join(' . ');
    if ('prefix' in v) return `${v.prefix.addr}/${v.prefix.len}`;
    if ('range' in v) return `${renderExpr(v.range[0])}-${renderExpr(v.range[1])}`;
    if ('goto' in v) return `goto ${v.goto.target}`;
    if ('jump' in v) return `jump ${v.jump.target}`;
    if ('elem' in v) return renderExpr(v.elem.val);
  }
  throw new Error(`cannot render nft expression ${JSON.stringify(v)}`);
}

export function listedElements(objects: any[]): ListedElement[] {
  const out: ListedElement[] = [];
  for (const o of objects) {
    const s = o.set ?? o.map;
    if (!s || !Array.isArray(s.elem)) continue;
    for (const e of s.elem) {
      const [k, v] = o.map ? (e as any[]) : [e, undefined];
      const comment: string | undefined = k && typeof k === 'object' && 'elem' in k ? k.elem.comment : undefined;
      out.push({ set: s.name, key: renderExpr(k), value: v === undefined ? undefined : renderExpr(v), comment });
    }
  }
  return out;
}

/** nft string literal for a comment (our tags hold no quotes; refuse rather than escape). */
export function quote(s: string): string {
  if (/["\\\n\r]/.test(s)) throw new CniError(ErrorCode.InvalidNetworkConfig, `value "${s}" cannot be used in an nft comment`);
  return `"${s}"`;
}
