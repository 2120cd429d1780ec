// Everything the CLI touches of its process, so commands can run against another env/cwd.
import { writeAllSync } from '../../shared/sys/files';
export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out(s: string): void;
  err(s: string): void;
  /** Raw bytes from plugins' stderr, passed through. */
  errBytes(b: Buffer): void;
}

export const processIo: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  // Synchronous, as the plugins print: a listing of a busy node larger than the pipe must reach a
  // slow reader whole before the fast exit (shared/entry/multicall.ts).
  out: (s) => writeAllSync(1, s),
  err: (s) => writeAllSync(2, s),
  errBytes: (b) => writeAllSync(2, b),
};

/** A failure reported as one line on stderr with exit status 1, as cnitool does. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
