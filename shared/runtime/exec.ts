// Runs one plugin process the way libcni's RawExec does: config on stdin, CNI_* appended to
// our environment, result or error JSON on stdout. Plugins always run as separate processes;
// the harness never loads plugin code in-process, so what it tests is the real protocol.
import { childProcess } from '../sys/builtins';
import { goQuote } from './go-json';

export interface ExecArgs {
  command: string;
  containerID?: string;
  netns?: string;
  /** CNI_ARGS pairs, in order. */
  pluginArgs?: ReadonlyArray<readonly [string, string]>;
  ifName?: string;
  path: readonly string[];
}

/** An error reported by a plugin (its stdout error JSON) or about running it. */
export class PluginError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details = '',
  ) {
    // libcni's types.Error prints "msg; details".
    super(details ? `${msg}; ${details}` : msg);
  }
}

export function stringifyCniArgs(pairs: ReadonlyArray<readonly [string, string]> = []): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}

/** Our environment plus the CNI variables; ours come last so they win over inherited ones. */
export function pluginEnv(base: NodeJS.ProcessEnv, a: ExecArgs): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = a.command;
  env.CNI_CONTAINERID = a.containerID ?? '';
  env.CNI_NETNS = a.netns ?? '';
  env.CNI_ARGS = stringifyCniArgs(a.pluginArgs);
  env.CNI_IFNAME = a.ifName ?? '';
  env.CNI_PATH = a.path.join(':');
  return env;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a successful plugin's stderr goes (libcni copies it to the caller's stderr). */
  stderr?: (chunk: Buffer) => void;
  /** "text file busy" retries: libcni tries 5 more times, one second apart. */
  busyRetries?: number;
  busyDelayMs?: number;
}

interface Outcome {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
}

function runOnce(file: string, stdin: Buffer, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let child;
    try {
      child = childProcess().spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), status: null, signal: null, spawnError: e as NodeJS.ErrnoException });
      return;
    }
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A plugin that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
    child.on('close', (status, signal) => {
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status, signal, spawnError });
    });
  });
}

const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGINT: 'interrupt',
  SIGPIPE: 'broken pipe',
};

/** Go's *exec.ExitError text for how the process ended. */
function exitText(o: Outcome): string {
  if (o.spawnError) return `fork/exec ${o.spawnError.path ?? ''}: ${o.spawnError.message.replace(/^spawn \S+ /, '')}`;
  if (o.signal) return `signal: ${SIGNAL_TEXT[o.signal] ?? o.signal}`;
  return `exit status ${o.status}`;
}

/** libcni pluginErr: the stdout error JSON if there is one, else what stderr said. */
export function pluginFailure(o: Pick<Outcome, 'stdout' | 'stderr'>, exit: string): PluginError {
  if (o.stdout.length === 0) {
    if (o.stderr.length === 0) return new PluginError(0, `netplugin failed with no error message: ${exit}`);
    return new PluginError(0, `netplugin failed: ${goQuote(o.stderr.toString())}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(o.stdout.toString());
  } catch (e) {
    return new PluginError(0, `netplugin failed but error parsing its diagnostic message ${goQuote(o.stdout.toString())}: ${(e as Error).message}`);
  }
  const j = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  return new PluginError(typeof j.code === 'number' ? j.code : 0, typeof j.msg === 'string' ? j.msg : '', typeof j.details === 'string' ? j.details : '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the plugin; resolves to its stdout on exit 0, rejects with a PluginError otherwise. */
export async function execPlugin(file: string, stdin: Buffer, args: ExecArgs, opts: ExecOptions = {}): Promise<Buffer> {
  const env = pluginEnv(opts.env ?? process.env, args);
  const retries = opts.busyRetries ?? 5;
  let o: Outcome | undefined;
  for (let i = 0; i <= retries; i++) {
    o = await runOnce(file, stdin, env);
    // A plugin binary being replaced (install in progress) is worth waiting for.
    if (o.spawnError?.code === 'ETXTBSY' && i < retries) {
      await sleep(opts.busyDelayMs ?? 1000);
      continue;
    }
    break;
  }
  const done = o!;
  if (!done.spawnError && done.status === 0) {
    if (done.stderr.length && opts.stderr) opts.stderr(done.stderr);
    return done.stdout;
  }
  throw pluginFailure(done, exitText(done));
}
