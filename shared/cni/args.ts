// CNI_ARGS: "K=V;K=V". Strict like the reference: an unknown key is an error unless
// IgnoreUnknown is set, so typos in a runtime's args are not silently dropped.
import { CniError, ErrorCode } from './error';

export function parseCniArgs(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const item of raw.split(';')) {
    if (item === '') continue;
    const kv = item.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') {
      throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_ARGS pair "${item}"`);
    }
    out.set(kv[0]!, kv[1]!);
  }
  return out;
}

const truthy = (v: string | undefined): boolean => v !== undefined && ['1', 'true'].includes(v.toLowerCase());

/** Returns the known keys; throws code 4 naming unknown ones unless IgnoreUnknown=1|true. */
export function pickCniArgs(args: Map<string, string>, known: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [k, v] of args) {
    if (k === 'IgnoreUnknown') continue;
    if (known.includes(k)) picked[k] = v;
    else unknown.push(k);
  }
  if (unknown.length && !truthy(args.get('IgnoreUnknown'))) {
    throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: unknown args [${unknown.map((u) => `"${u}"`).join(' ')}]`, 'set IgnoreUnknown=1 to ignore them');
  }
  return picked;
}
