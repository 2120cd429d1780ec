// Reading iptables-save output: the chains that exist and each rule as tokens, enough to find
// our jumps, our chains and the ports other chains already DNAT.
export interface SavedRule {
  chain: string;
  /** The rule exactly as printed after "-A CHAIN ". */
  spec: string;
  args: string[];
}

export interface SavedTable {
  chains: Set<string>;
  rules: SavedRule[];
}

/** Splits a rule line the way iptables-restore does: double quotes group, \" escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuote) {
      if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        cur += line[++i];
      } else if (ch === '"') inQuote = false;
      else cur += ch;
    } else if (ch === '"') {
      inQuote = true;
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

export function parseSave(text: string): SavedTable {
  const chains = new Set<string>();
  const rules: SavedRule[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const chain = line.slice(3, sp);
      const spec = line.slice(sp + 1);
      rules.push({ chain, spec, args: tokenize(spec) });
    }
  }
  return { chains, rules };
}

/** The value after an option (e.g. "-j", "--dport"), and whether it was negated with "!". */
export function optionValue(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length - 1; i++) if (names.includes(args[i]!)) return args[i + 1];
  return undefined;
}

export const jumpTarget = (r: SavedRule): string | undefined => optionValue(r.args, '-j', '-g');
