// `docker network create` for a CNI config directory: writes <NETCONFPATH>/<NAME>.conflist for the
// bridge, macvlan or vxlan driver. Every refusal happens before anything is written.
import fs from 'node:fs';
import { CniError } from '../../../shared/cni/error';
import { validateNetworkName } from '../../../shared/cni/names';
import { parseSubnet } from '../../../shared/overlay/addr';
import { cacheDirFromEnv, listCachedAttachments } from '../../../shared/runtime/cache';
import { listNetworks, networkListFromFile } from '../../../shared/runtime/conf-loader';
import { conflistPath, writeConflistFile } from '../../../shared/runtime/conf-writer';
import { networkSubnets } from '../../../shared/runtime/network-state';
import { CliError, type CliIo } from '../cli-io';
import { renderConflist } from '../create/conflist';
import { parseCreateArgs, type CreateArgs } from '../create/flags';
import { readHostFacts } from '../create/host-facts';
import { driverOptions, type DriverOptions } from '../create/options';
import { planNetwork } from '../create/plan';
import type { Occupied } from '../create/pool';
import { validateConflist } from '../create/validate';
import { netconfDir } from '../runtime-env';

function checkName(name: string): void {
  try {
    validateNetworkName(name);
  } catch (e) {
    if (e instanceof CniError) throw new CliError(`invalid network name ${JSON.stringify(name)}: must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$`);
    throw e;
  }
}

function readPeersFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`-o peers=${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`-o peers=${file}: not JSON: ${(e as Error).message}`);
  }
}

/** The other networks' subnets; a replaced network (--force) does not count against itself. */
function otherNetworks(dir: string, a: CreateArgs, io: CliIo): { occupied: Occupied[] } {
  const file = conflistPath(dir, a.name);
  const occupied: Occupied[] = [];
  for (const e of listNetworks(dir)) {
    if (e.error) {
      io.err(`warning: skipping ${e.file}: ${e.error}\n`);
      continue;
    }
    const list = e.list!;
    if (list.name === a.name) {
      if (!a.force) throw new CliError(`network with name ${a.name} already exists (${e.file})`);
      if (e.file !== file) throw new CliError(`network ${a.name} is defined in ${e.file}: --force only replaces ${file}; remove the other file first`);
      const busy = listCachedAttachments(cacheDirFromEnv(io.env), { network: a.name });
      if (busy.length) throw new CliError(`network ${a.name} has active endpoints: ${[...new Set(busy.map((b) => b.containerID))].join(', ')}`);
      continue;
    }
    for (const s of networkSubnets(list)) {
      const subnet = parseSubnet(s);
      if (subnet) occupied.push({ subnet, what: `network "${list.name}" (${s})` });
    }
  }
  if (fs.existsSync(file)) {
    // The file may define another network (names and file names need not match): never replace that.
    let inFile: string | undefined;
    try {
      inFile = networkListFromFile(file).name;
    } catch {
      inFile = undefined;
    }
    if (inFile !== undefined && inFile !== a.name) throw new CliError(`${file} already exists and defines network ${inFile}: remove that network first`);
    if (inFile === undefined && !a.force) throw new CliError(`${file} already exists (it defines no usable network): use --force to replace it`);
  }
  return { occupied };
}

export function cmdNetworkCreate(io: CliIo, argv: readonly string[]): number {
  const a = parseCreateArgs(argv);
  checkName(a.name);
  const o: DriverOptions = driverOptions(a.driver, a.opts);
  const dir = netconfDir(io.env);
  const { occupied } = otherNetworks(dir, a, io);
  const host = readHostFacts();
  const plan = planNetwork(a, o, {
    networks: occupied,
    host: host.occupied,
    linkNames: host.links.map((l) => l.name),
    addresses: host.addresses,
    ...(o.driver === 'vxlan' && o.peersFile && { peers: readPeersFile(o.peersFile) }),
  });
  const conflist = renderConflist(plan);
  validateConflist(conflist);
  const text = JSON.stringify(conflist, null, 2) + '\n';
  if (a.dryRun) {
    io.out(text);
    return 0;
  }
  writeConflistFile(conflistPath(dir, a.name), conflist);
  io.out(a.json ? text : `${a.name}\n`);
  return 0;
}
