// Shared pieces of the host-local e2e tests: configs, a temp dataDir per test, and an async
// runner so many plugin processes (ours and the reference) can race on one store.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { bin, binDir, repoRoot, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, leakedNetns } from '../../helpers/netns';

export const REF = '/usr/lib/cni/host-local';
export const hasRef = fs.existsSync(REF);

/** Dev builds resolve koffi from the repo's node_modules; harmless for the real executable. */
export const baseEnv = { NODE_PATH: path.join(repoRoot, 'node_modules'), TSCNI_NATIVE_DIR: path.join(os.tmpdir(), 'thl-native') };

export function tmpDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'thl-data-'));
}

export function conf(dataDir: string, ipam: object, v = '1.0.0', extra: object = {}): Record<string, unknown> {
  return { cniVersion: v, name: 'thlnet', type: 'host-local', ipam: { type: 'host-local', dataDir, ...ipam }, ...extra };
}

export const dualStack = {
  ranges: [[{ subnet: '10.77.0.0/24' }], [{ subnet: 'fd00:77::/64' }]],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
};

export function cniVars(cmd: string, id: string, ifname = 'eth0', extra: Record<string, string> = {}): Record<string, string> {
  return { ...baseEnv, CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_NETNS: '/var/run/netns/none', CNI_IFNAME: ifname, CNI_PATH: binDir, ...extra };
}

/** Ours or the reference, synchronously, inside the test's host netns. */
export function ipam(which: 'ours' | 'ref', host: string, env: Record<string, string>, stdin: object): RunResult {
  const file = which === 'ours' ? bin('host-local') : REF;
  const r = spawnSync('ip', ['netns', 'exec', host, file], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    input: JSON.stringify(stdin),
    encoding: 'utf8',
    timeout: 30_000,
  });
  let json: any;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json };
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Starts one plugin process without waiting (for races and kill -9). */
export function start(file: string, host: string, env: Record<string, string>, stdin: object): Spawned {
  const child = spawn('ip', ['netns', 'exec', host, file], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  child.stdin!.on('error', () => {});
  child.stdin!.end(JSON.stringify(stdin));
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code) => {
      let json: any;
      try {
        json = stdout ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
  return { child, done };
}

export const ours = (): string => bin('host-local');

/** The lease files of a store (name → content), without lock and last_reserved_ip.*. */
export function leases(dataDir: string, net = 'thlnet'): Record<string, string> {
  const dir = path.join(dataDir, net);
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const n of fs.readdirSync(dir).sort()) {
    if (n === 'lock' || n.startsWith('last_reserved_ip.')) continue;
    out[n] = fs.readFileSync(path.join(dir, n), 'utf8');
  }
  return out;
}

/**
 * The suite's throwaway "host" netns (handed to onHost in beforeAll) and a maker of temp data
 * dirs; afterAll removes both and fails on a leaked netns.
 */
export function hostLab(onHost: (host: string) => void): () => string {
  const dirs: string[] = [];
  beforeAll(() => onHost(createNetns('thl-host')));
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    deleteAllNetns();
    expect(leakedNetns()).toEqual([]);
  });
  return () => {
    const d = tmpDataDir();
    dirs.push(d);
    return d;
  };
}
