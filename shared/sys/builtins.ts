// Builtin modules that cost milliseconds to load (child_process pulls in net and streams, crypto
// its own bindings), fetched on first use instead of at start-up: a VERSION call or a plugin path
// that never spawns should not pay for them.
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';

type GetBuiltin = <T>(id: string) => T;
const getBuiltin = (process as unknown as { getBuiltinModule: GetBuiltin }).getBuiltinModule;

let cp: typeof ChildProcess | undefined;
let cr: typeof Crypto | undefined;

export function childProcess(): typeof ChildProcess {
  return (cp ??= getBuiltin<typeof ChildProcess>('node:child_process'));
}

export function crypto(): typeof Crypto {
  return (cr ??= getBuiltin<typeof Crypto>('node:crypto'));
}
