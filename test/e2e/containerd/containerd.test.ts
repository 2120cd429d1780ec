// containerd 1.6's CRI plugin drives our plugins: a pod sandbox with a published port, through
// the CRI gRPC API (no crictl on Debian 12), in the same throwaway host netns with private
// mounts as the podman suite. Checks what CRI does differently from podman: capitalised
// portMappings keys and the extra loopback network.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binDir } from '../../helpers/bins';
import { leakedNetns } from '../../helpers/netns';
import { aptInstall, skipWithout } from '../../helpers/prereq';
import { HOST_V4, PodmanEnv } from '../podman/podman-env';

const hasContainerd = (): boolean => spawnSync('sh', ['-c', 'command -v containerd && command -v containerd-shim-runc-v2 && command -v ctr && command -v runc']).status === 0 && fs.existsSync('/bin/busybox');

/**
 * What is missing from the machine (installed on demand), or undefined. Only packages the suite
 * may install count as missing; anything else (no build, the declared gRPC dev dependencies
 * absent) is an error and fails the suite instead of skipping it.
 */
function missingPrereqs(): string | undefined {
  if (!fs.existsSync(path.join(binDir, 'portmap'))) throw new Error(`no build in ${binDir}: run npm run build first`);
  require.resolve('@grpc/grpc-js');
  require.resolve('@grpc/proto-loader');
  if (hasContainerd()) return undefined;
  const log = aptInstall(['containerd', 'runc', 'busybox-static']);
  return hasContainerd() ? undefined : `containerd 1.6, runc and busybox-static (Debian packages containerd runc busybox-static) cannot be installed:\n${log}`;
}
const skip = skipWithout('containerd suite', missingPrereqs());

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A docker-archive image of the busybox rootfs whose command sleeps: the pod's pause image. */
function pauseImage(dir: string, rootfs: string): string {
  const work = path.join(dir, 'img');
  fs.mkdirSync(work);
  spawnSync('tar', ['-C', rootfs, '-cf', path.join(work, 'layer.tar'), '.']);
  const diff = sha256(fs.readFileSync(path.join(work, 'layer.tar')));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sleep', '100000'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] } });
  fs.writeFileSync(path.join(work, 'config.json'), config);
  fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['localhost/trt-pause:1'], Layers: ['layer.tar'] }]));
  const out = path.join(dir, 'pause.tar');
  spawnSync('tar', ['-C', work, '-cf', out, 'manifest.json', 'config.json', 'layer.tar']);
  return out;
}

describe.skipIf(skip)('containerd CRI with tscni plugins', () => {
  let env: PodmanEnv;
  let daemon: ChildProcess | undefined;
  let cri: any;
  const dir = (): string => env.root;
  const sock = (): string => path.join(dir(), 'ctd.sock');
  const call = (method: string, req: object): Promise<any> =>
    new Promise((resolve, reject) => cri[method](req, { deadline: Date.now() + 60_000 }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r))));

  beforeAll(async () => {
    env = new PodmanEnv();
    await env.start();
    const r = dir();
    fs.mkdirSync(path.join(r, 'ctd-net'));
    fs.writeFileSync(
      path.join(r, 'ctd-net', '10-trtcri.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'trtcri',
        plugins: [
          { type: 'bridge', bridge: 'trtc0', isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.89.7.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] } },
          { type: 'portmap', capabilities: { portMappings: true } },
          { type: 'firewall' },
        ],
      }),
    );
    fs.writeFileSync(
      path.join(r, 'containerd.toml'),
      `version = 2
root = "${r}/ctd-root"
state = "${r}/ctd-state"
[grpc]
  address = "${sock()}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/trt-pause:1"
  enable_selinux = false
  # the sandbox asks for oom_score_adj -998, which needs CAP_SYS_RESOURCE (this VM's root lacks it)
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${binDir}"
    conf_dir = "${r}/ctd-net"
    max_conf_num = 1
`,
    );
    daemon = spawn('nsenter', ['-t', String(env.holder()), '-m', '-n', 'containerd', '--config', path.join(r, 'containerd.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 100 && !fs.existsSync(sock()); i++) await new Promise((res) => setTimeout(res, 100));
    if (!fs.existsSync(sock())) throw new Error(`containerd did not start: ${log}`);
    const imp = env.exec(['ctr', '--address', sock(), '-n', 'k8s.io', 'images', 'import', '--snapshotter', 'native', pauseImage(r, env.rootfs)]);
    if (imp.code !== 0) throw new Error(`ctr import failed: ${imp.stderr}`);
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const def = loader.loadSync(path.join(__dirname, 'cri.proto'), { keepCase: false, enums: Number, defaults: true });
    const runtime = grpc.loadPackageDefinition(def).runtime.v1;
    cri = new runtime.RuntimeService(`unix://${sock()}`, grpc.credentials.createInsecure());
  }, 120_000);

  afterAll(() => {
    cri?.close?.();
    daemon?.kill('SIGKILL');
    env?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('trt-'))).toEqual([]);
  });

  it('RunPodSandbox with a port mapping: capitalised portMappings keys accepted, loopback up, port reachable; Stop/Remove leave nothing', async () => {
    expect((await call('version', { version: 'v1' })).runtimeName).toBe('containerd');
    const { podSandboxId } = await call('runPodSandbox', {
      config: { metadata: { name: 'web', uid: 'uid-1', namespace: 'trt', attempt: 0 }, hostname: 'web', portMappings: [{ protocol: 0, containerPort: 8000, hostPort: 18090 }] },
    });
    const status = await call('podSandboxStatus', { podSandboxId, verbose: true });
    const ip: string = status.status.network.ip;
    expect(ip).toMatch(/^10\.89\.7\./);
    // our portmap turned {"HostPort":18090,"ContainerPort":8000,"Protocol":"TCP"} into a DNAT entry
    expect(env.ownedNftElements().filter((e) => e.startsWith('tscni_portmap/dnat4:'))).toHaveLength(1);
    expect(env.ownedNftElements().filter((e) => e.startsWith('tscni_firewall/ctr4:'))).toHaveLength(1);
    const netnsPath: string = JSON.parse(status.info.info).runtimeSpec.linux.namespaces.find((n: any) => n.type === 'network').path;
    expect(env.exec(['nsenter', `--net=${netnsPath}`, 'ip', '-o', 'link', 'show', 'lo']).stdout).toMatch(/state UNKNOWN|,UP/);
    const server = spawn('nsenter', ['-t', String(env.holder()), '-m', '-n', 'nsenter', `--net=${netnsPath}`, '/bin/busybox', 'httpd', '-f', '-p', '8000', '-h', path.join(env.rootfs, 'www')], { stdio: 'ignore' });
    try {
      await new Promise((res) => setTimeout(res, 300));
      expect(env.fetchIn(env.out, `http://${HOST_V4}:18090/`)).toBe(true);
      expect(env.fetchIn(env.out, `http://${ip}:8000/`)).toBe(false);
    } finally {
      server.kill('SIGKILL');
    }
    await call('stopPodSandbox', { podSandboxId });
    await call('removePodSandbox', { podSandboxId });
    const left = env.leftovers();
    expect({ ...left, dnsmasq: [] }).toEqual({ veths: [], netnsFiles: [], cniCache: [], leases: [], nftElements: [], iptablesContainerRules: [], dnsmasq: [] });
  }, 120_000);
});
