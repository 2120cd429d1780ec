// A private CNI world for harness tests: config dir, cache dir and host-local dataDir under a
// temp dir, a throwaway "host" netns to run cnitool in (as in the measured run of
// test/unit/runtime/fixtures.ts), and helpers to
// read kernel state. The reference Go plugins in /usr/lib/cni do the networking.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin } from '../../helpers/bins';
import { inNetns } from '../../helpers/netns';

export const REFERENCE_PLUGINS = '/usr/lib/cni';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class HarnessEnv {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'thn-e2e-'));
  readonly netconf = path.join(this.root, 'netconf');
  readonly cache = path.join(this.root, 'cache');
  readonly ipam = path.join(this.root, 'ipam');

  constructor() {
    fs.mkdirSync(this.netconf);
  }

  /** Writes a conflist; `dataDir` of host-local is pointed at our private dir. */
  writeConflist(file: string, body: object | string): string {
    const p = path.join(this.netconf, file);
    fs.writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n');
    return p;
  }

  bridgeList(name: string, bridge: string, subnet: string, opts: { version?: string; portmap?: boolean } = {}): object {
    const plugins: object[] = [
      { type: 'bridge', bridge, isGateway: true, ipMasq: true, ipam: { type: 'host-local', subnet, dataDir: this.ipam, routes: [{ dst: '0.0.0.0/0' }] } },
    ];
    if (opts.portmap) plugins.push({ type: 'portmap', capabilities: { portMappings: true } });
    return { cniVersion: opts.version ?? '1.0.0', name, plugins };
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      NETCONFPATH: this.netconf,
      CNI_PATH: REFERENCE_PLUGINS,
      CNI_CACHE_DIR: this.cache,
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** Runs our cnitool, inside `host` when given (plugins then see that netns as the host). */
  cnitool(args: string[], opts: { host?: string; env?: Record<string, string | undefined>; cwd?: string } = {}): CliRun {
    const argv = opts.host ? ['ip', 'netns', 'exec', opts.host, bin('cnitool'), ...args] : [bin('cnitool'), ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { env: this.env(opts.env), encoding: 'utf8', timeout: 60_000, cwd: opts.cwd });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  cacheFile(net: string, cid: string, ifname = 'eth0'): string {
    return path.join(this.cache, 'results', `${net}-${cid}-${ifname}`);
  }

  leaseFiles(net: string): string[] {
    try {
      return fs.readdirSync(path.join(this.ipam, net)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
    } catch {
      return [];
    }
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** The id the Go cnitool derives, computed independently of the code under test. */
export function goCnitoolId(netnsPath: string): string {
  return 'cnitool-' + createHash('sha512').update(netnsPath).digest('hex').slice(0, 20);
}

/** IPv4 addresses (CIDR) of an interface in a netns; [] when it does not exist. */
export function addrsOf(ns: string, dev: string): string[] {
  const out = inNetns(ns, ['ip', '-j', '-4', 'addr', 'show', 'dev', dev], { allowFail: true });
  if (!out.trim()) return [];
  const [link] = JSON.parse(out);
  return (link?.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`);
}

export function linkNames(ns: string): string[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', 'link', 'show'])).map((l: any) => l.ifname);
}

/** Keys of every object, depth-first: used to assert Go's map key order. */
export function keyOrders(v: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(v)) v.forEach((x) => keyOrders(x, out));
  else if (v && typeof v === 'object') {
    out.push(Object.keys(v));
    Object.values(v).forEach((x) => keyOrders(x, out));
  }
  return out;
}
