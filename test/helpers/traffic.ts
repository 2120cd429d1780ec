// Real traffic between test namespaces: a TCP echo-the-peer server and a client, both plain Node
// run inside a netns (no extra packages), plus ping.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const SERVER = `
const net = require('net');
const srv = net.createServer((s) => { s.end((process.argv[4] === 'local' ? s.localAddress : s.remoteAddress).replace(/^::ffff:/, '')); });
srv.listen({ host: process.argv[1], port: Number(process.argv[2]) }, () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), Number(process.argv[3] || 60000));
`;

const CLIENT = `
const net = require('net');
const [host, port, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3] || 0)];
const s = net.connect({ host, port, timeout: 3000 }, () => { if (size) s.write(Buffer.alloc(size, 120)); });
let data = '';
s.on('data', (d) => (data += d));
s.on('end', () => { process.stdout.write(data); process.exit(0); });
s.on('timeout', () => { process.stderr.write('timeout'); process.exit(2); });
s.on('error', (e) => { process.stderr.write(String(e.message)); process.exit(1); });
`;

export interface Server {
  proc: ChildProcess;
  stop(): void;
}

/**
 * Starts a TCP server in `ns` that answers every connection with the peer's address (or, with
 * answer 'local', the address the connection reached: which interface of a container got it).
 */
export async function startTcpServer(ns: string, host: string, port: number, lifetimeMs = 60_000, answer: 'peer' | 'local' = 'peer'): Promise<Server> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, host, String(port), String(lifetimeMs), answer], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    proc.on('exit', (code) => reject(new Error(`server in ${ns} exited ${code}: ${err}`)));
  });
  return { proc, stop: () => proc.kill('SIGKILL') };
}

/** Connects from `ns`; returns the address the server saw, or throws with the client error. */
export function tcpRequest(ns: string, host: string, port: number, payloadBytes = 0): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, host, String(port), String(payloadBytes)], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`tcp ${ns} -> ${host}:${port} failed: ${r.stderr || r.status}`);
  return r.stdout;
}

export function tcpWorks(ns: string, host: string, port: number): boolean {
  try {
    tcpRequest(ns, host, port);
    return true;
  } catch {
    return false;
  }
}

export function ping(ns: string, addr: string, opts: { count?: number; size?: number; dontFragment?: boolean } = {}): boolean {
  const args = ['netns', 'exec', ns, 'ping', '-c', String(opts.count ?? 1), '-W', '1', '-i', '0.2'];
  if (opts.size !== undefined) args.push('-s', String(opts.size));
  if (opts.dontFragment) args.push('-M', 'do');
  args.push(addr);
  return spawnSync('ip', args, { encoding: 'utf8' }).status === 0;
}
