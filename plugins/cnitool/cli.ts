// cnitool's command line: the Go cnitool's verbs first, then the Docker-style extras.
import { parseArgs, type ParsedArgs } from './cli-args';
import { CliError, type CliIo } from './cli-io';
import { cmdConnect, cmdDisconnect } from './commands/connect';
import { cmdNetnsAdd, cmdNetnsDel, cmdNetnsLs } from './commands/netns';
import { cmdNetworkInspect, cmdNetworkLs } from './commands/network';
import { cmdNetworkCreate } from './commands/network-create';
import { cmdNetworkPrune, cmdNetworkRm } from './commands/network-rm';
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } from './commands/verbs';
import { usage } from './usage';

const EXE = 'cnitool';

type Handler = (io: CliIo, a: ParsedArgs, rest: string[]) => Promise<number> | number;

/** Commands with the positionals they need (after the command word). */
const COMMANDS: Record<string, { min: number; run: Handler }> = {
  add: { min: 2, run: (io, a, [n, ns]) => cmdAdd(io, a, n!, ns!) },
  check: { min: 2, run: (io, a, [n, ns]) => cmdCheck(io, a, n!, ns!) },
  del: { min: 2, run: (io, a, [n, ns]) => cmdDel(io, a, n!, ns!) },
  gc: { min: 1, run: (io, a, [n]) => cmdGc(io, a, n!) },
  status: { min: 1, run: (io, a, [n]) => cmdStatus(io, a, n!) },
  connect: { min: 2, run: (io, a, [n, ns]) => cmdConnect(io, a, n!, ns!) },
  disconnect: { min: 2, run: (io, a, [n, ns]) => cmdDisconnect(io, a, n!, ns!) },
  network: {
    min: 1,
    run: (io, a, [sub, n]) => {
      if (sub === 'ls' || sub === 'list') return cmdNetworkLs(io, a);
      if (sub === 'inspect' && n) return cmdNetworkInspect(io, a, n);
      throw new CliError(`usage: ${EXE} network ls [--json] | inspect <net> | create [flags] <net> | rm [--force] <net>... | prune`);
    },
  },
  netns: {
    min: 1,
    run: (io, _a, [sub, name]) => {
      if (sub === 'add') return cmdNetnsAdd(io, name);
      if (sub === 'del' || sub === 'delete') return cmdNetnsDel(io, name);
      if (sub === 'ls' || sub === 'list') return cmdNetnsLs(io);
      throw new CliError(`usage: ${EXE} netns add|del <name> | ${EXE} netns ls`);
    },
  },
};

/** Docker's network lifecycle commands have flags of their own (--subnet, -o, --force…). */
const NETWORK_LIFECYCLE: Record<string, (io: CliIo, argv: readonly string[]) => Promise<number> | number> = {
  create: cmdNetworkCreate,
  rm: cmdNetworkRm,
  remove: cmdNetworkRm,
  prune: cmdNetworkPrune,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const lifecycle = argv[0] === 'network' && argv[1] !== undefined && Object.hasOwn(NETWORK_LIFECYCLE, argv[1]) ? NETWORK_LIFECYCLE[argv[1]] : undefined;
    if (lifecycle && !argv.slice(2).some((x) => x === '-h' || x === '--help')) return await lifecycle(io, argv.slice(2));
    const a = parseArgs(argv);
    const [cmd, ...rest] = a.positionals;
    if (a.help || cmd === 'help') {
      io.out(usage(EXE));
      return 0;
    }
    const c = cmd ? COMMANDS[cmd] : undefined;
    if (!c || rest.length < c.min) {
      io.err(usage(EXE));
      return 1;
    }
    return await c.run(io, a, rest);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`${msg}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
