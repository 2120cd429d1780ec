// A throwaway "host" for the reliability tests: a host netns (with a macvlan master), a container
// netns (with a spare veth for tuning), a temp dir holding every store, the plugins' cwd and their
// run dir; plus one normalised snapshot of everything a plugin could change on that host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '../../../shared/cni/error';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, deleteNetns, inNetns, netnsPath } from '../../helpers/netns';

export const DOCUMENTED_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode));

export interface World {
  host: string;
  ctr: string;
  ctrPath: string;
  dir: string;
  /** The plugins' cwd: a relative path in a config lands here, inside the temp dir. */
  cwd: string;
  dataDir: string;
  runDir: string;
}

export function createWorld(prefix: string): World {
  const host = createNetns(`${prefix}h`);
  const ctr = createNetns(`${prefix}c`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const w: World = { host, ctr, ctrPath: netnsPath(ctr), dir, cwd: path.join(dir, 'cwd'), dataDir: path.join(dir, 'ipam'), runDir: path.join(dir, 'run') };
  for (const d of [w.cwd, w.dataDir, w.runDir]) fs.mkdirSync(d, { recursive: true });
  inNetns(host, ['ip', 'link', 'add', 'mvm0', 'type', 'veth', 'peer', 'name', 'mvm0p']);
  inNetns(host, ['ip', 'link', 'set', 'mvm0', 'up']);
  inNetns(host, ['ip', 'addr', 'add', '192.0.2.11/24', 'dev', 'mvm0']);
  inNetns(ctr, ['ip', 'link', 'add', 'tun0', 'type', 'veth', 'peer', 'name', 'tun0p']);
  return w;
}

export function destroyWorld(w: World | undefined): void {
  if (!w) return;
  deleteNetns(w.ctr);
  deleteNetns(w.host);
  spawnSync('umount', ['-R', w.dir]);
  fs.rmSync(w.dir, { recursive: true, force: true });
}

export interface PluginRun {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * One plugin process on the world's host, from its cwd. `wrap` prefixes the command (e.g. an
 * `unshare -m sh -c …` that prepares a private mount first); stdin may be any bytes.
 */
export function runPlugin(w: World, role: string, env: Record<string, string | undefined>, stdin: string | Buffer, wrap: string[] = []): PluginRun {
  const e: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TSCNI_RUN_DIR: w.runDir };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  const argv = ['ip', 'netns', 'exec', w.host, ...wrap, bin(role)];
  const r = spawnSync(argv[0]!, argv.slice(1), { input: stdin, env: e, cwd: w.cwd, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
  let json: any;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json };
}

export function cniVars(w: World, command: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: 'tskcid', CNI_NETNS: w.ctrPath, CNI_IFNAME: 'eth0', CNI_PATH: binDir, ...extra };
}

/** "Valid result or documented error", the contract every case must meet; returns a problem or undefined. */
export function contractProblem(command: string, r: PluginRun): string | undefined {
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code === 0) {
    if (command === 'ADD') {
      if (!r.json || typeof r.json !== 'object' || typeof r.json.cniVersion !== 'string') return `ADD succeeded without a result: ${r.stdout.slice(0, 300)}`;
      return undefined;
    }
    if (command === 'VERSION') return r.json?.supportedVersions ? undefined : `bad VERSION output ${r.stdout}`;
    return r.stdout.trim() === '' ? undefined : `${command} succeeded but printed ${r.stdout.slice(0, 300)}`;
  }
  const j = r.json;
  if (!j || typeof j !== 'object') return `exit ${r.code} without error JSON: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`;
  if (!DOCUMENTED_CODES.has(j.code)) return `undocumented code ${j.code}: ${r.stdout.slice(0, 300)}`;
  if (typeof j.msg !== 'string' || j.msg === '') return `error without msg: ${r.stdout}`;
  if (/\n\s+at .*\(.*:\d+:\d+\)/.test(r.stdout)) return `stack trace on stdout: ${r.stdout.slice(0, 300)}`;
  return undefined;
}

// ---- snapshots

const SEP = '@@tsk@@';

function links(text: string): unknown {
  return (JSON.parse(text) as any[])
    .map((l) => ({
      ifname: l.ifname,
      mtu: l.mtu,
      address: l.address,
      master: l.master,
      kind: l.linkinfo?.info_kind,
      flags: (l.flags as string[]).filter((f) => ['UP', 'PROMISC', 'ALLMULTI', 'NOARP'].includes(f)),
      txqlen: l.txqlen,
    }))
    .sort((a, b) => String(a.ifname).localeCompare(String(b.ifname)));
}

function addrs(text: string): unknown {
  return (JSON.parse(text) as any[])
    .flatMap((l) => (l.addr_info as any[]).map((a) => `${l.ifname} ${a.family} ${a.local}/${a.prefixlen} ${a.scope}`))
    // IPv6 link-local addresses appear when the kernel gets round to it, not when a plugin acts.
    .filter((a) => !a.includes(' inet6 fe80:'))
    .sort();
}

function routes(text: string): unknown {
  return (JSON.parse(text) as any[])
    .map((r) => `${r.table ?? 'main'} ${r.type ?? ''} ${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''} ${r.prefsrc ?? ''} ${r.protocol ?? ''}`)
    .filter((r) => !/ fe80:/.test(r))
    .sort();
}

/** Files under the world's dir: path, type and mode (sizes and contents of allocator hints vary). */
function listing(dir: string, skip: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (skip(rel)) continue;
      const st = fs.lstatSync(p);
      out.push(`${rel} ${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'} ${(st.mode & 0o7777).toString(8)}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

export interface Snapshot {
  hostLinks: unknown;
  hostAddrs: unknown;
  hostRoutes: unknown;
  nft: string;
  iptables: string;
  ctrLinks: unknown;
  ctrAddrs: unknown;
  ctrRoutes: unknown;
  files: string[];
}

export interface SnapshotOptions {
  /** Also ignore allocator hints, index stamps and backend markers (after a successful ADD+DEL). */
  loose?: boolean;
}

export function snapshot(w: World, opts: SnapshotOptions = {}): Snapshot {
  const script = [
    'ip -j -d link show',
    'ip -j addr show',
    'ip -j route show table all',
    'ip -6 -j route show table all',
    'nft list ruleset',
    "{ iptables-save; ip6tables-save; } | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'",
    `ip -n ${w.ctr} -j -d link show`,
    `ip -n ${w.ctr} -j addr show`,
    `ip -n ${w.ctr} -j route show table all`,
  ].join(`; echo ${SEP}; `);
  const r = spawnSync('ip', ['netns', 'exec', w.host, 'sh', '-c', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const p = r.stdout.split(SEP).map((s) => s.trim());
  const loose = opts.loose ?? false;
  // Loose: what an accepted call may leave, as the reference does: allocator hints, the owner
  // index, and an empty store skeleton (host-local DEL/GC create <dataDir>/<net>/lock).
  const skip = (rel: string): boolean =>
    rel === 'run' ||
    rel.startsWith(`run${path.sep}`) ||
    (loose && (/(^|\/)last_reserved_ip\.\d+$/.test(rel) || rel.split(path.sep).includes('.tscni') || /(^|\/)tsknet(\/lock)?$/.test(rel)));
  return {
    hostLinks: links(p[0]!),
    hostAddrs: addrs(p[1]!),
    hostRoutes: [...(routes(p[2]!) as string[]), ...(routes(p[3]!) as string[])],
    nft: p[4]!,
    iptables: p[5]!,
    ctrLinks: (links(p[6]!) as any[]).map((l) => (l.ifname === 'lo' ? { ...l, flags: [] } : l)),
    ctrAddrs: addrs(p[7]!),
    ctrRoutes: (routes(p[8]!) as string[]).filter((x) => !x.includes(' lo ')),
    files: listing(w.dir, skip),
  };
}

/** A short readable difference between two snapshots ('' when equal). */
export function snapshotDiff(a: Snapshot, b: Snapshot): string {
  const lines = (v: unknown): string[] => (typeof v === 'string' ? v.split('\n') : (v as unknown[]).map((x) => JSON.stringify(x)));
  const out: string[] = [];
  for (const k of Object.keys(a) as (keyof Snapshot)[]) {
    const la = lines(a[k]);
    const lb = lines(b[k]);
    const gone = la.filter((l) => !lb.includes(l));
    const added = lb.filter((l) => !la.includes(l));
    if (gone.length || added.length || la.length !== lb.length) out.push(`${k}: -[${gone.join(' | ')}] +[${added.join(' | ')}]`);
  }
  return out.join('; ');
}
