// JSON rendered the way Go's encoding/json renders it, because libcni's bytes are what
// plugins, cache readers and scripts have always seen: map keys sorted, '<' '>' '&' and
// U+2028/U+2029 escaped, MarshalIndent's layout. Struct-shaped values keep insertion order.

/** Text that is already Go-rendered JSON (e.g. a Result with its own MarshalJSON). */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface GoJsonOptions {
  /** true: every object is a Go map (keys sorted); false: objects are structs (order kept). */
  sortKeys?: boolean;
  indent?: string;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function goString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/["\\<>&\u2028\u2029\u0000-\u001f]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function render(v: unknown, sortKeys: boolean): string {
  if (v instanceof RawJson) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Buffer.isBuffer(v)) return goString(v.toString('base64'));
  if (Array.isArray(v)) return `[${v.map((x) => render(x, sortKeys)).join(',')}]`;
  if (typeof v === 'object') {
    let keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    if (sortKeys) keys = keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${goString(k)}:${render((v as Record<string, unknown>)[k], sortKeys)}`).join(',')}}`;
  }
  return 'null';
}

/** Re-indents compact JSON like Go's json.Indent: empty {} and [] stay on one line. */
export function goIndent(compact: string, indent: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const nl = () => '\n' + indent.repeat(depth);
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += compact[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[': {
        const close = c === '{' ? '}' : ']';
        if (compact[i + 1] === close) {
          out += c + close;
          i++;
        } else {
          depth++;
          out += c + nl();
        }
        break;
      }
      case '}':
      case ']':
        depth--;
        out += nl() + c;
        break;
      case ',':
        out += c + nl();
        break;
      case ':':
        out += ': ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

export function goJson(v: unknown, opts: GoJsonOptions = {}): string {
  const compact = render(v, opts.sortKeys ?? true);
  return opts.indent ? goIndent(compact, opts.indent) : compact;
}

/** Go's %q for a string (strconv.Quote): used where libcni formats names into messages. */
export function goQuote(s: string): string {
  const special: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (special[ch]) out += special[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp === 0xfffd) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** Go's %v of a []string: [a b c]. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}
