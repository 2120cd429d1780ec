// A private world for dnsname: a throwaway "host" netns where cnitool runs the conflists
// (reference bridge + host-local from /usr/lib/cni, our dnsname), container netns, a state dir,
// a fake upstream resolver on the host's loopback, and a resolver run inside a container.
// The DNS client and server here are written independently of shared/dns on purpose.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, binDir } from '../../helpers/bins';
import { createNetns, deleteNetns, netnsPath } from '../../helpers/netns';

export const REFERENCE_PLUGINS = '/usr/lib/cni';
export const UPSTREAM_PORT = 5354;
/** What the fake upstream answers for any A question: proves forwarding happened. */
export const UPSTREAM_ANSWER = '192.0.2.77';

// Asks one question over UDP; prints {"rcode":n,"answers":["addr",…]} or {"error":"…"}.
const RESOLVER = `
const dgram = require('dgram');
const [server, name, type] = [process.argv[1], process.argv[2], process.argv[3]];
const qtype = { A: 1, AAAA: 28, PTR: 12 }[type];
const id = Math.floor(Math.random() * 65535);
const labels = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, qtype, 0, 1])]);
const sock = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
let tries = 0;
const send = () => { if (tries++ === 3) { console.log(JSON.stringify({ error: 'timeout' })); process.exit(0); } sock.send(q, 53, server); setTimeout(send, 700); };
function skipName(b, p) { for (;;) { const l = b[p]; if (l === 0) return p + 1; if ((l & 0xc0) === 0xc0) return p + 2; p += l + 1; } }
function readName(b, p) { const out = []; for (let i = 0; i < 64; i++) { const l = b[p]; if (l === 0) break; if ((l & 0xc0) === 0xc0) { p = ((l & 63) << 8) | b[p + 1]; continue; } out.push(b.toString('latin1', p + 1, p + 1 + l)); p += l + 1; } return out.join('.'); }
sock.on('message', (b) => {
  if (b.readUInt16BE(0) !== id) return;
  const rcode = b[3] & 15, an = b.readUInt16BE(6);
  let p = skipName(b, 12) + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    p = skipName(b, p);
    const t = b.readUInt16BE(p), len = b.readUInt16BE(p + 8), d = p + 10;
    if (t === 1) answers.push([...b.subarray(d, d + 4)].join('.'));
    if (t === 28) { const g = []; for (let j = 0; j < 16; j += 2) g.push(b.readUInt16BE(d + j).toString(16)); answers.push(g.join(':')); }
    if (t === 12) answers.push(readName(b, d));
    p = d + len;
  }
  console.log(JSON.stringify({ rcode, answers }));
  process.exit(0);
});
sock.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(0); });
send();
`;

// Answers every A question with UPSTREAM_ANSWER, anything else with NXDOMAIN.
const UPSTREAM = `
const dgram = require('dgram');
const sock = dgram.createSocket('udp4');
sock.on('message', (q, rinfo) => {
  let p = 12; while (q[p] !== 0) p += q[p] + 1;
  const qtype = q.readUInt16BE(p + 1), qend = p + 5;
  const head = Buffer.from(q.subarray(0, qend));
  head[2] = 0x81; head[3] = qtype === 1 ? 0x80 : 0x83;
  head.writeUInt16BE(qtype === 1 ? 1 : 0, 6); head.writeUInt16BE(0, 8); head.writeUInt16BE(0, 10);
  const parts = [head];
  if (qtype === 1) parts.push(Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...process.argv[2].split('.').map(Number)]));
  sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
});
sock.bind(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

/** Expands an IPv6 address to 8 unpadded groups, the resolver script's output form. */
export function longV6(a: string): string {
  const [h, t] = a.split('::');
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = a.includes('::') ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

export interface Answer {
  rcode?: number;
  answers?: string[];
  error?: string;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

export class DnsWorld {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdn-e2e-'));
  readonly netconf = path.join(this.root, 'netconf');
  readonly cache = path.join(this.root, 'cache');
  readonly ipam = path.join(this.root, 'ipam');
  readonly state = path.join(this.root, 'state');
  readonly host = createNetns('tdn-host');
  private upstream?: ChildProcess;
  private readonly containers: string[] = [];

  constructor() {
    // The server drops to the dnsmasq account and must reach the hosts file.
    fs.chmodSync(this.root, 0o755);
    fs.mkdirSync(this.netconf);
  }

  /** A bridge conflist (reference bridge + host-local) with dnsname appended as podman does. */
  network(name: string, bridge: string, subnets: string[], o: { version?: string; dnsname?: Record<string, unknown> } = {}): void {
    const conflist = {
      cniVersion: o.version ?? '0.4.0',
      name,
      plugins: [
        { type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', dataDir: this.ipam, ranges: subnets.map((s) => [{ subnet: s }]) } },
        { type: 'dnsname', domainName: 'dns.podman', capabilities: { aliases: true }, stateDir: this.state, upstreamServers: [`127.0.0.1#${UPSTREAM_PORT}`], ...o.dnsname },
      ],
    };
    fs.writeFileSync(path.join(this.netconf, `${name}.conflist`), JSON.stringify(conflist, null, 2));
  }

  container(): string {
    const ns = createNetns('tdn-ctr');
    this.containers.push(ns);
    return ns;
  }

  /** cnitool in the host netns; `name` becomes K8S_POD_NAME, `aliases` the capability. */
  cnitool(verb: string, net: string, ns: string, o: { name?: string; aliases?: string[] } = {}): Run {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      NETCONFPATH: this.netconf,
      // The reference plugins first: only dnsname comes from our build.
      CNI_PATH: `${REFERENCE_PLUGINS}:${binDir}`,
      CNI_CACHE_DIR: this.cache,
    };
    if (o.name !== undefined) env.CNI_ARGS = `IgnoreUnknown=1;K8S_POD_NAME=${o.name}`;
    if (o.aliases) env.CAP_ARGS = JSON.stringify({ aliases: { [net]: o.aliases } });
    const r = spawnSync('ip', ['netns', 'exec', this.host, bin('cnitool'), verb, net, netnsPath(ns)], { env, encoding: 'utf8', timeout: 60_000 });
    let json: any;
    try {
      json = r.stdout ? JSON.parse(r.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json };
  }

  /** A real query from inside `ns` to `server`. */
  resolve(ns: string, server: string, name: string, type: 'A' | 'AAAA' | 'PTR' = 'A'): Answer {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', RESOLVER, server, name, type], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`resolver in ${ns} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Sorted addresses of `name`; for AAAA in the resolver's long form. */
  addrs(ns: string, server: string, name: string, type: 'A' | 'AAAA' = 'A'): string[] {
    const a = this.resolve(ns, server, name, type);
    if (a.error) throw new Error(`query ${name} ${type} from ${ns} to ${server}: ${a.error}`);
    return [...(a.answers ?? [])].sort();
  }

  async startUpstream(): Promise<void> {
    const proc = spawn('ip', ['netns', 'exec', this.host, process.execPath, '-e', UPSTREAM, String(UPSTREAM_PORT), UPSTREAM_ANSWER], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.upstream = proc;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      proc.stderr!.on('data', (d) => (err += d));
      proc.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      proc.on('exit', (code) => reject(new Error(`upstream exited ${code}: ${err}`)));
    });
  }

  netDir(net: string): string {
    return path.join(this.state, net);
  }

  serverPid(net: string): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.netDir(net), 'dnsmasq.pid'), 'utf8'));
      return ourDnsmasqs(this.root).includes(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Best effort, in order: DEL every attachment, stop stray servers, drop namespaces and files. */
  destroy(nets: string[]): void {
    for (const net of nets) for (const ns of this.containers) this.cnitool('del', net, ns);
    for (const pid of ourDnsmasqs(this.root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.upstream?.kill('SIGKILL');
    for (const ns of [...this.containers, this.host]) deleteNetns(ns);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** dnsmasq processes whose command line names a file under `root` (ours, not the machine's). */
export function ourDnsmasqs(root: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (path.basename(argv[0] ?? '') === 'dnsmasq' && argv.some((a) => a.includes(root))) pids.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}
