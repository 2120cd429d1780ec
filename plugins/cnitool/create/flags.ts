// The command lines of `network create`, `network rm` and `network prune`, spelt as Docker spells
// them. Pure: the result is validated against the host later (create/plan.ts, commands/).
import { CliError } from '../cli-io';

export const DRIVERS = ['bridge', 'macvlan', 'vxlan'] as const;
export type Driver = (typeof DRIVERS)[number];

export interface CreateArgs {
  name: string;
  driver: Driver;
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  ipv6: boolean;
  internal: boolean;
  /** -o/--opt key=value, in the order given (a key given twice is refused). */
  opts: Array<[string, string]>;
  dns: boolean;
  json: boolean;
  dryRun: boolean;
  force: boolean;
}

export interface RmArgs {
  names: string[];
  force: boolean;
}

const BOOL_TEXT: Record<string, boolean> = { true: true, '1': true, t: true, false: false, '0': false, f: false };

/** Go's flag package: a bool flag takes its value only as --flag=value. */
function boolValue(flag: string, inline: string | undefined): boolean {
  if (inline === undefined) return true;
  const v = BOOL_TEXT[inline.toLowerCase()];
  if (v === undefined) throw new CliError(`invalid argument ${JSON.stringify(inline)} for ${flag}: must be true or false`);
  return v;
}

/** Splits "--flag=value" (long flags only, like Docker's CLI). */
function splitFlag(a: string): [string, string | undefined] {
  const eq = a.indexOf('=');
  return a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
}

class Cursor {
  i = 0;
  constructor(readonly argv: readonly string[]) {}
  value(flag: string, inline: string | undefined): string {
    if (inline !== undefined) return inline;
    const v = this.argv[++this.i];
    if (v === undefined) throw new CliError(`flag needs an argument: ${flag}`);
    return v;
  }
}

function parseOpt(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CliError(`invalid option ${JSON.stringify(text)}: must be key=value`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

export const CREATE_USAGE =
  'usage: cnitool network create [-d bridge|macvlan|vxlan] [--subnet CIDR]... [--gateway IP]... [--ip-range CIDR]... ' +
  '[--ipv6] [--internal] [-o key=value]... [--dns=false] [--json] [--dry-run] [--force] NAME';
export const RM_USAGE = 'usage: cnitool network rm [--force] NAME...';

export function parseCreateArgs(argv: readonly string[]): CreateArgs {
  const out: CreateArgs = { name: '', driver: 'bridge', subnets: [], gateways: [], ipRanges: [], ipv6: false, internal: false, opts: [], dns: true, json: false, dryRun: false, force: false };
  const names: string[] = [];
  const c = new Cursor(argv);
  for (; c.i < argv.length; c.i++) {
    const a = argv[c.i]!;
    if (a === '--') {
      names.push(...argv.slice(c.i + 1));
      break;
    }
    const [flag, inline] = splitFlag(a);
    switch (flag) {
      case '-d':
      case '--driver': {
        const d = c.value(flag, inline);
        if (!(DRIVERS as readonly string[]).includes(d)) throw new CliError(`unknown driver ${JSON.stringify(d)}: use one of ${DRIVERS.join(', ')}`);
        out.driver = d as Driver;
        break;
      }
      case '--subnet':
        out.subnets.push(c.value(flag, inline));
        break;
      case '--gateway':
        out.gateways.push(c.value(flag, inline));
        break;
      case '--ip-range':
        out.ipRanges.push(c.value(flag, inline));
        break;
      case '-o':
      case '--opt': {
        const [k, v] = parseOpt(c.value(flag, inline));
        if (out.opts.some(([seen]) => seen === k)) throw new CliError(`option ${JSON.stringify(k)} is given twice`);
        out.opts.push([k, v]);
        break;
      }
      case '--ipv6':
        out.ipv6 = boolValue(flag, inline);
        break;
      case '--internal':
        out.internal = boolValue(flag, inline);
        break;
      case '--dns':
        out.dns = boolValue(flag, inline);
        break;
      case '--json':
        out.json = boolValue(flag, inline);
        break;
      case '--dry-run':
        out.dryRun = boolValue(flag, inline);
        break;
      case '-f':
      case '--force':
        out.force = boolValue(flag, inline);
        break;
      default:
        if (a.startsWith('-') && a !== '-') throw new CliError(`unknown flag: ${a}\n${CREATE_USAGE}`);
        names.push(a);
    }
  }
  if (names.length !== 1) throw new CliError(names.length ? `network create takes one NAME, not ${names.length}\n${CREATE_USAGE}` : CREATE_USAGE);
  out.name = names[0]!;
  return out;
}

/** rm and prune: names, and --force (prune accepts it too: it never asks, like `prune -f`). */
export function parseRmArgs(argv: readonly string[], what: 'rm' | 'prune'): RmArgs {
  const out: RmArgs = { names: [], force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.names.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = splitFlag(a);
    if (flag === '-f' || flag === '--force') out.force = boolValue(flag, inline);
    else if (a.startsWith('-') && a !== '-') throw new CliError(`unknown flag: ${a}\n${what === 'rm' ? RM_USAGE : 'usage: cnitool network prune [--force]'}`);
    else out.names.push(a);
  }
  if (what === 'rm' && !out.names.length) throw new CliError(RM_USAGE);
  if (what === 'prune' && out.names.length) throw new CliError('usage: cnitool network prune [--force] (takes no names)');
  return out;
}
