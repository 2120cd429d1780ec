// cnitool: a drop-in for the Go cnitool (same verbs, environment and result cache), plus
// Docker-style network commands. See README.md in this folder.
import { goGetwd } from '../../shared/runtime/container-id';
import { processIo } from './cli-io';
import { runCli } from './cli';

export async function main(argv: string[]): Promise<number> {
  return runCli(argv, { ...processIo, cwd: goGetwd(process.env) });
}
