// Named network namespaces for trying things out, like `ip netns add/del/list`. These helpers
// (and only these: plugins never do) run ip(8) with an argv array, so /var/run/netns/<name> is
// created exactly as iproute2 makes it and any tool can use it.
import { childProcess } from '../../../shared/sys/builtins';
import fs from 'node:fs';
import { CliError, type CliIo } from '../cli-io';

export const NETNS_DIR = '/var/run/netns';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

function ip(io: CliIo, argv: string[]): void {
  const r = childProcess().spawnSync('ip', argv, { encoding: 'utf8', env: io.env });
  if (r.error) throw new CliError(`ip ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new CliError((r.stderr || `ip ${argv.join(' ')} failed with status ${r.status}`).trim());
}

function checkName(name: string | undefined): string {
  if (!name || !NAME_RE.test(name)) throw new CliError(`invalid netns name ${JSON.stringify(name ?? '')}: must match ${NAME_RE.source}`);
  return name;
}

export function cmdNetnsAdd(io: CliIo, name: string | undefined): number {
  ip(io, ['netns', 'add', checkName(name)]);
  io.out(`${NETNS_DIR}/${name}\n`);
  return 0;
}

export function cmdNetnsDel(io: CliIo, name: string | undefined): number {
  ip(io, ['netns', 'del', checkName(name)]);
  return 0;
}

export function cmdNetnsLs(io: CliIo): number {
  let names: string[] = [];
  try {
    names = fs.readdirSync(NETNS_DIR).sort();
  } catch {
    /* no namespaces yet */
  }
  for (const n of names) io.out(`${n}\n`);
  return 0;
}
