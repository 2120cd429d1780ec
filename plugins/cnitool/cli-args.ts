// Flags and positionals. cnitool's only flag is -i/--ifname (added at HEAD); ours adds a few
// for the Docker-style commands. Flags may appear anywhere; "--" ends them.
import { CliError } from './cli-io';

export interface ParsedArgs {
  positionals: string[];
  ifname?: string;
  all: boolean;
  json: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], all: false, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    switch (flag) {
      case '-i':
      case '--ifname': {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new CliError(`flag needs an argument: ${flag}`);
        out.ifname = v;
        break;
      }
      case '--all':
        out.all = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        if (a.startsWith('-') && a !== '-') throw new CliError(`unknown flag: ${a}`);
        out.positionals.push(a);
    }
  }
  return out;
}
