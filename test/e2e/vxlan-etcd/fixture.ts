// A real etcd and three "hosts" (network namespaces) on one underlay bridge; etcd listens inside
// the underlay namespace on the bridge's own address, so every host reaches it and nothing else
// does. Each host has its own IPAM and state directories; agents are started per host.
// Everything (namespaces, etcd, agents, temp dirs) is removed in cleanup(), even after a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, netnsPath, sh } from '../../helpers/netns';
import { aptInstall } from '../../helpers/prereq';

export const PREFIX = 'tet';

/** etcd-server from Debian; installed on demand. Returns why it cannot run, if it cannot. */
export function ensureEtcd(): string | undefined {
  if (spawnSync('etcd', ['--version']).status === 0) return undefined;
  const log = aptInstall(['etcd-server'], { recommends: true });
  if (spawnSync('etcd', ['--version']).status === 0) return undefined;
  return `etcd is not installed and cannot be installed:\n${log}`;
}

export interface Etcd {
  url: string;
  /** etcd's v3 JSON gateway, called from inside its namespace. */
  get(prefix: string): Record<string, string>;
  stop(): void;
  start(): Promise<void>;
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA, a server certificate for `ip` and a client certificate (mutual TLS). */
export function makePki(dir: string, ip: string): Pki {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string): string => path.join(dir, n);
  const ssl = (args: string[]): void => void sh(['openssl', ...args]);
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tet-ca', '-keyout', f('ca-key.pem'), '-out', f('ca.pem')]);
  const leaf = (name: string, ext: string): void => {
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`)]);
    fs.writeFileSync(f(`${name}.ext`), ext);
    ssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
  };
  leaf('server', `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server-key.pem'), clientCert: f('client.pem'), clientKey: f('client-key.pem') };
}

export async function startEtcd(o: { ns?: string; host: string; clientPort: number; dataDir: string; pki?: Pki }): Promise<Etcd> {
  const url = `${o.pki ? 'https' : 'http'}://${o.host}:${o.clientPort}`;
  let proc: ChildProcess | undefined;
  const argv = [
    'etcd',
    '--name', 'tet',
    '--data-dir', o.dataDir,
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', `http://${o.host}:${o.clientPort + 1}`,
    '--initial-advertise-peer-urls', `http://${o.host}:${o.clientPort + 1}`,
    '--initial-cluster', `tet=http://${o.host}:${o.clientPort + 1}`,
    ...(o.pki ? ['--cert-file', o.pki.serverCert, '--key-file', o.pki.serverKey, '--trusted-ca-file', o.pki.ca, '--client-cert-auth'] : []),
  ];
  const curl = (args: string[]): string => {
    const tls = o.pki ? ['--cacert', o.pki.ca, '--cert', o.pki.clientCert, '--key', o.pki.clientKey] : [];
    const full = ['curl', '-s', '-m', '2', ...tls, ...args];
    return o.ns ? inNetns(o.ns, full, { allowFail: true }) : sh(full, { allowFail: true });
  };
  const start = async (): Promise<void> => {
    const full = o.ns ? ['ip', 'netns', 'exec', o.ns, ...argv] : argv;
    const log = fs.openSync(path.join(path.dirname(o.dataDir), `etcd-${o.clientPort}.log`), 'a');
    proc = spawn(full[0]!, full.slice(1), { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    for (let i = 0; i < 100; i++) {
      if (curl([`${url}/health`]).includes('"health":"true"')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd at ${url} did not become healthy`);
  };
  const stop = (): void => {
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGKILL');
    // Wait for the port to be free before anyone restarts it.
    for (let i = 0; i < 50 && proc.exitCode === null && proc.signalCode === null; i++) spawnSync('sleep', ['0.1']);
  };
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const get = (prefix: string): Record<string, string> => {
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const out = curl(['-X', 'POST', `${url}/v3/kv/range`, '-d', JSON.stringify({ key: b64(prefix), range_end: b64(end) })]);
    const res = JSON.parse(out || '{}') as { header?: unknown; kvs?: { key: string; value: string }[] };
    if (!res.header) throw new Error(`etcd range ${prefix}: ${out || 'no answer'}`);
    const kvs = res.kvs ?? [];
    return Object.fromEntries(kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value ?? '', 'base64').toString()]));
  };
  await start();
  return { url, get, stop, start };
}

export interface Host {
  ns: string;
  name: string;
  ip4: string;
  dataDir: string;
  stateDir: string;
  confFile: string;
}

export interface Agent {
  host: Host;
  stop(): Promise<void>;
  output(): string;
}

export interface Lab {
  underlay: string;
  pki?: Pki;
  hosts: Host[];
  etcd: Etcd;
  tmp: string;
  ctr(): string;
  run(cmd: string, host: Host, ctr: string, conf: object, extra?: Record<string, string>): RunResult;
  /** vxlan-sync on a host (its config written to host.confFile first). */
  sync(host: Host, conf: object, args: string[]): RunResult;
  agent(host: Host, conf: object): Agent;
  cleanup(): Promise<void>;
}

let labs = 0;
const ETCD_IP = '172.31.0.254';

export async function makeLab(hostCount = 3, opts: { tls?: boolean } = {}): Promise<Lab> {
  const n = labs++;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-lab${n}-`));
  const underlay = createNetns(`${PREFIX}-und`);
  const agents: Agent[] = [];
  let etcd: Etcd | undefined;
  const cleanup = async (): Promise<void> => {
    for (const a of agents) await a.stop();
    etcd?.stop();
    deleteAllNetns();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    sh(['ip', '-n', underlay, 'link', 'add', 'ul', 'type', 'bridge']);
    sh(['ip', '-n', underlay, 'addr', 'add', `${ETCD_IP}/24`, 'dev', 'ul']);
    sh(['ip', '-n', underlay, 'link', 'set', 'ul', 'up']);
    const hosts: Host[] = [];
    for (let i = 0; i < hostCount; i++) {
      const ns = createNetns(`${PREFIX}-host`);
      const ip4 = `172.31.0.${i + 1}`;
      sh(['ip', '-n', ns, 'link', 'add', 'und0', 'type', 'veth', 'peer', 'name', `p${i + 1}`, 'netns', underlay]);
      sh(['ip', '-n', underlay, 'link', 'set', `p${i + 1}`, 'master', 'ul', 'up']);
      sh(['ip', '-n', ns, 'addr', 'add', `${ip4}/24`, 'dev', 'und0']);
      sh(['ip', '-n', ns, 'link', 'set', 'und0', 'up']);
      const dir = path.join(tmp, `host${i}`);
      fs.mkdirSync(path.join(dir, 'ipam'), { recursive: true });
      hosts.push({ ns, name: String.fromCharCode(65 + i), ip4, dataDir: path.join(dir, 'ipam'), stateDir: path.join(dir, 'state'), confFile: path.join(dir, 'vxlan.conf') });
    }
    // Its own namespace, so any port is free; the pid only keeps logs apart.
    const pki = opts.tls ? makePki(path.join(tmp, 'pki'), ETCD_IP) : undefined;
    etcd = await startEtcd({ ns: underlay, host: ETCD_IP, clientPort: 2379, dataDir: path.join(tmp, 'etcd'), pki });
    const e = etcd;
    const writeConf = (h: Host, conf: object): void => fs.writeFileSync(h.confFile, JSON.stringify(conf));
    return {
      underlay,
      pki,
      hosts,
      etcd: e,
      tmp,
      ctr: () => createNetns(`${PREFIX}-ctr`),
      run: (cmd, host, ctr, conf, extra = {}) =>
        run('vxlan', {
          netns: host.ns,
          env: cniEnv(cmd, { CNI_CONTAINERID: `id-${path.basename(ctr)}`, CNI_NETNS: netnsPath(ctr), CNI_IFNAME: 'eth0', ...extra }),
          stdin: conf,
        }),
      sync: (host, conf, args) => {
        writeConf(host, conf);
        return runSync(host, args);
      },
      agent: (host, conf) => {
        writeConf(host, conf);
        let out = '';
        const p = spawn('ip', ['netns', 'exec', host.ns, bin('vxlan-sync'), '--watch', '--resync', '5', host.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
        p.stdout!.on('data', (d) => (out += d));
        p.stderr!.on('data', (d) => (out += d));
        const a: Agent = {
          host,
          output: () => out,
          stop: async () => {
            if (p.exitCode !== null || p.signalCode !== null) return;
            const done = new Promise((r) => p.once('exit', r));
            p.kill('SIGTERM');
            const t = setTimeout(() => p.kill('SIGKILL'), 3000);
            await done;
            clearTimeout(t);
          },
        };
        agents.push(a);
        return a;
      },
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function runSync(host: Host, args: string[]): RunResult {
  const r = spawnSync('ip', ['netns', 'exec', host.ns, bin('vxlan-sync'), ...args, host.confFile], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json: undefined };
}

export const L3_NETWORK = '10.244.0.0/16';
export const L2_NETWORK = '10.50.0.0/24';

/** The one config every host uses: no peers, no share; the store decides. */
export function storeConf(lab: Lab, host: Host, mode: 'l2' | 'l3', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: '1.1.0',
    name: 'tetnet',
    type: 'vxlan',
    mode,
    vni: 42,
    underlay: { interface: 'und0' },
    network: mode === 'l3' ? L3_NETWORK : L2_NETWORK,
    ...(mode === 'l2' && { nodeBlockLen: 26 }),
    store: { type: 'etcd', endpoints: [lab.etcd.url], prefix: '/tet/tetnet', leaseTTL: 30, timeoutMs: 1500 },
    stateDir: host.stateDir,
    ipam: { type: 'host-local', dataDir: host.dataDir },
    ...extra,
  };
}

export function routes(ns: string, dev: string): any[] {
  return JSON.parse(inNetns(ns, ['ip', '-j', 'route', 'show', 'dev', dev]));
}
export function fdb(ns: string, dev: string): any[] {
  return JSON.parse(inNetns(ns, ['bridge', '-j', 'fdb', 'show', 'dev', dev]));
}
export const ipOf = (r: RunResult): string => String(r.json.ips[0].address).split('/')[0]!;

/** Polls until fn returns true (kernel state converging after a store change). */
export async function eventually(fn: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
