// Everything the CLI touches of its process, so commands can run against another env/cwd.
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
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errBytes: (b) => process.stderr.write(b),
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
