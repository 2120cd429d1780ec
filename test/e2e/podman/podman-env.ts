// A throwaway podman installation driving our plugins, isolated from the machine:
// - a "host" netns (trt-…) with an "outside" netns on a veth (192.168.91.1 ↔ .2) and a spare veth
//   for macvlan (parent mvp0 ↔ outside 192.168.92.2);
// - a long-lived process in that netns with a private mount namespace, where /run, /var/lib and
//   /dev/shm are fresh tmpfs (podman's netns files, libcni cache, host-local leases, locks and
//   dnsname state never reach the real ones), /sys is that netns's sysfs with the real cgroup
//   tree bound back in (runc needs it);
// - private CONTAINERS_CONF (cni backend, our build as the only plugin dir, runc, cgroupfs) and
//   CONTAINERS_STORAGE_CONF (vfs under a temp dir); containers run from a busybox-static rootfs.
// Every podman command runs through nsenter into that process's net + mount namespaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binDir } from '../../helpers/bins';
import { createNetns, deleteNetns, inNetns } from '../../helpers/netns';
import { aptInstall } from '../../helpers/prereq';

export const HOST_V4 = '192.168.91.1';
export const OUT_V4 = '192.168.91.2';
export const MV_OUT_V4 = '192.168.92.2';
const PACKAGES = ['podman', 'runc', 'busybox-static', 'catatonit'];

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * Installs what the suite needs when missing; returns what is still missing, or undefined.
 * A missing build is not a prerequisite but an error: it throws.
 */
export function ensurePodman(): string | undefined {
  if (!fs.existsSync(path.join(binDir, 'firewall'))) throw new Error(`no build in ${binDir}: run npm run build first`);
  const missing = () => [!has('podman') && 'podman', !has('runc') && 'runc', !fs.existsSync('/bin/busybox') && 'busybox-static', !fs.existsSync('/usr/libexec/podman/catatonit') && 'catatonit'].filter(Boolean);
  if (!missing().length) return undefined;
  const log = aptInstall(PACKAGES);
  const still = missing();
  return still.length ? `cannot install ${still.join(', ')}:\n${log}` : undefined;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export class PodmanEnv {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-podman-'));
  readonly rootfs = path.join(this.root, 'rootfs');
  readonly netconf = path.join(this.root, 'net');
  readonly host: string;
  readonly out: string;
  private holderProc?: ChildProcess;
  private holderPid = 0;
  private outside?: ChildProcess;

  constructor() {
    this.host = createNetns('trt');
    this.out = createNetns('trt');
    for (const d of ['net', 'graph', 'run', 'tmp', 'cg']) fs.mkdirSync(path.join(this.root, d));
    this.makeRootfs();
    this.writeConfigs();
    const h = (...a: string[]): string => inNetns(this.host, a);
    h('sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
    h('ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out);
    h('ip', 'addr', 'add', `${HOST_V4}/24`, 'dev', 'up0');
    h('ip', 'link', 'set', 'up0', 'up');
    h('ip', 'link', 'add', 'mvp0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', this.out);
    h('ip', 'link', 'set', 'mvp0', 'up');
    const o = (...a: string[]): string => inNetns(this.out, a);
    o('ip', 'addr', 'add', `${OUT_V4}/24`, 'dev', 'eth0');
    o('ip', 'link', 'set', 'eth0', 'up');
    o('ip', 'addr', 'add', `${MV_OUT_V4}/24`, 'dev', 'eth1');
    o('ip', 'link', 'set', 'eth1', 'up');
  }

  private makeRootfs(): void {
    const bin = path.join(this.rootfs, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) fs.symlinkSync('busybox', path.join(bin, a));
    for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'www']) fs.mkdirSync(path.join(this.rootfs, d), { recursive: true });
    fs.writeFileSync(path.join(this.rootfs, 'www', 'index.html'), 'hello from busybox\n');
  }

  private writeConfigs(): void {
    const r = this.root;
    fs.writeFileSync(
      path.join(r, 'containers.conf'),
      `[containers]
# runc refuses limits above this VM's hard limits (podman's defaults are 1048576 / 4194304)
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["${binDir}"]
network_config_dir = "${this.netconf}"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${r}/events.log"
tmp_dir = "${r}/tmp"
`,
    );
    fs.writeFileSync(path.join(r, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${r}/graph"\nrunroot = "${r}/run"\n`);
  }

  /** Starts the namespace holder; resolves when its mounts are in place. */
  async start(): Promise<void> {
    const cg = path.join(this.root, 'cg');
    const inner = [
      'mount -t sysfs trt-sysfs /sys',
      `mount --rbind ${cg} /sys/fs/cgroup`,
      `umount -l ${cg}`,
      'mount -t tmpfs trt-run /run',
      'mount -t tmpfs trt-varlib /var/lib',
      'mount -t tmpfs trt-shm /dev/shm',
      'echo ready',
      'exec sleep 100000',
    ].join(' && ');
    const outer = `mount --rbind /sys/fs/cgroup ${cg} && exec nsenter --net=/run/netns/${this.host} sh -c '${inner}'`;
    this.holderProc = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', outer], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      this.holderProc!.stderr!.on('data', (d) => (err += d));
      this.holderProc!.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      this.holderProc!.on('exit', (code) => reject(new Error(`namespace holder exited ${code}: ${err}`)));
    });
    this.holderPid = this.holderProc.pid!;
  }

  /** Pid of the process holding the netns + private mounts (for nsenter -t). */
  holder(): number {
    return this.holderPid;
  }

  /** Runs argv inside the holder's netns and mount namespace. */
  exec(argv: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Run {
    const env = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CONTAINERS_CONF: path.join(this.root, 'containers.conf'),
      CONTAINERS_STORAGE_CONF: path.join(this.root, 'storage.conf'),
      ...opts.env,
    };
    const r = spawnSync('nsenter', ['-t', String(this.holderPid), '-m', '-n', ...argv], { env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
    return { code: r.status ?? -1, stdout: (r.stdout ?? '').trim(), stderr: r.stderr ?? '' };
  }

  podman(...args: string[]): Run {
    return this.exec(['podman', ...args]);
  }

  /** podman that must succeed; returns stdout. */
  ok(...args: string[]): string {
    const r = this.podman(...args);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** A detached container from the busybox rootfs serving /www on port 8000 (plus any args). */
  runServer(name: string, ...args: string[]): string {
    return this.ok('run', '-d', '--name', name, ...args, '--rootfs', this.rootfs, 'httpd', '-f', '-p', '8000', '-h', '/www');
  }

  /** Container's address on a network (podman inspect). */
  ip(container: string, network?: string): string {
    const nets = JSON.parse(this.ok('inspect', '--format', '{{json .NetworkSettings.Networks}}', container)) as Record<string, { IPAddress: string }>;
    return network ? nets[network]!.IPAddress : Object.values(nets)[0]!.IPAddress;
  }

  /** HTTP GET with busybox wget (its -T crashes in Debian's static build: timeout(1) instead) from inside a container. */
  fetchFrom(container: string, url: string): boolean {
    return this.podman('exec', container, 'timeout', '3', 'wget', '-q', '-O', '-', url).stdout.includes('hello from busybox');
  }

  /** HTTP GET with busybox wget from a plain netns (host or outside). */
  fetchIn(netns: string, url: string): boolean {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'timeout', '3', '/bin/busybox', 'wget', '-q', '-O', '-', url], { encoding: 'utf8', timeout: 10_000 });
    return (r.stdout ?? '').includes('hello from busybox');
  }

  /** What the suite calls leaks: state of ours in the host netns and its private mounts. */
  leftovers(): Record<string, string[]> {
    const sh = (cmd: string): string[] => this.exec(['sh', '-c', cmd]).stdout.split('\n').filter(Boolean);
    return {
      veths: sh("ip -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v -e '^up0$' -e '^mvp0$' || true"),
      netnsFiles: sh('ls /run/netns 2>/dev/null || true'),
      cniCache: sh('ls /var/lib/cni/results 2>/dev/null || true'),
      leases: sh("ls /var/lib/cni/networks/*/ 2>/dev/null | grep -E '^[0-9a-f.:]+$' | grep -v -e '^last_reserved' || true"),
      nftElements: this.ownedNftElements(),
      iptablesContainerRules: sh("iptables-save | grep -e 'id: \\\"' || true"),
      dnsmasq: this.processesInHost().filter((c) => c === 'dnsmasq'),
    };
  }

  /** Set/map elements carrying an owner comment ("<net>/<cid>/<ifname>"), in any table. */
  ownedNftElements(): string[] {
    const objs = (JSON.parse(this.exec(['nft', '-j', 'list', 'ruleset']).stdout || '{}').nftables ?? []) as any[];
    return objs.flatMap((o) => {
      const s = o.set ?? o.map;
      return (s?.elem ?? []).flatMap((e: any) => {
        const el = Array.isArray(e) ? e[0] : e;
        return el?.elem?.comment ? [`${s.table}/${s.name}: ${el.elem.comment}`] : [];
      });
    });
  }

  /** Command names of the processes living in the host netns (conmon, dnsmasq, …). */
  processesInHost(): string[] {
    const pids = spawnSync('ip', ['netns', 'pids', this.host], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    return pids.map((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    });
  }

  /** busybox httpd in the outside netns, serving the same page on port 8000. */
  startOutsideServer(): void {
    this.outside = spawn('ip', ['netns', 'exec', this.out, '/bin/busybox', 'httpd', '-f', '-p', '8000', '-h', path.join(this.rootfs, 'www')], { stdio: 'ignore' });
  }

  destroy(): void {
    this.outside?.kill('SIGKILL');
    if (this.holderPid) {
      this.podman('pod', 'rm', '-af', '-t', '0');
      this.podman('rm', '-af', '-t', '0');
      for (const n of JSON.parse(this.podman('network', 'ls', '--format', 'json').stdout || '[]') as { name: string }[]) {
        if (n.name !== 'podman') this.podman('network', 'rm', '-f', n.name);
      }
    }
    // conmon, dnsmasq or anything else still running in our host netns goes with it.
    const pids = spawnSync('ip', ['netns', 'pids', this.host], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.holderProc?.kill('SIGKILL');
    deleteNetns(this.host);
    deleteNetns(this.out);
    spawnSync('rm', ['-rf', this.root]);
  }
}
