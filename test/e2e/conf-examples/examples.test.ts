// Every conflist in conf-examples/ is run through our cnitool in a throwaway host netns, the way
// a user would: ADD two containers, prove the traffic the example promises, CHECK, DEL, nothing left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, repoRoot } from '../../helpers/bins';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { ping, startTcpServer, tcpRequest } from '../../helpers/traffic';

const dir = path.join(repoRoot, 'conf-examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.conflist')).sort();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tex-'));
afterAll(() => {
  deleteAllNetns();
  fs.rmSync(tmp, { recursive: true, force: true });
  expect(leakedNetns()).toEqual([]);
});

interface World {
  host: string;
  env: Record<string, string>;
  list: any;
  cnitool(args: string[], extra?: Record<string, string>): { code: number; stdout: string; stderr: string };
}

/** A private copy of the example whose on-disk state goes to a temp dir. */
function world(file: string): World {
  const host = createNetns('tex-host');
  const outside = createNetns('tex-out');
  sh(['ip', '-n', host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'wan', 'netns', outside]);
  sh(['ip', '-n', host, 'addr', 'add', '198.18.0.1/24', 'dev', 'uplink']);
  sh(['ip', '-n', host, 'link', 'set', 'uplink', 'up']);
  sh(['ip', '-n', outside, 'link', 'set', 'wan', 'up']);
  const base = fs.mkdtempSync(path.join(tmp, `${path.basename(file, '.conflist')}-`));
  const list = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  for (const p of list.plugins) {
    if (p.ipam?.type === 'host-local') p.ipam.dataDir = path.join(base, 'ipam');
    if (p.type === 'dnsname') p.stateDir = path.join(base, 'dns');
    if (p.type === 'tuning') p.dataDir = path.join(base, 'tuning');
    if (p.type === 'macvlan') p.master = 'uplink';
  }
  const netDir = path.join(base, 'net.d');
  fs.mkdirSync(netDir);
  fs.writeFileSync(path.join(netDir, file), JSON.stringify(list));
  const env = { PATH: process.env.PATH ?? '', NETCONFPATH: netDir, CNI_PATH: path.dirname(bin('cnitool')), CNI_CACHE_DIR: path.join(base, 'cache') };
  return {
    host,
    env,
    list,
    cnitool: (args, extra = {}) => {
      const r = spawnSync('ip', ['netns', 'exec', host, bin('cnitool'), ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

const hasPlugin = (list: any, t: string) => list.plugins.some((p: any) => p.type === t);
const CAPS = (port: number) => JSON.stringify({ portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] });

function hostLeftovers(w: World): string[] {
  return JSON.parse(inNetns(w.host, ['ip', '-j', 'link'])).map((l: any) => l.ifname).filter((n: string) => n.startsWith('veth'));
}

describe('conf-examples', () => {
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(6));

  for (const file of files) {
    it(file, async () => {
      const w = world(file);
      const [a, b] = [createNetns('tex-ctr'), createNetns('tex-ctr')];
      const list = w.list;
      if (file === '40-vlan.conflist') {
        const r = w.cnitool(['add', list.name, netnsPath(a)]);
        const supported = spawnSync('ip', ['-n', w.host, 'link', 'add', 'vfp', 'type', 'bridge', 'vlan_filtering', '1']).status === 0;
        if (!supported) {
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(/VLAN filtering/);
          expect(w.cnitool(['del', list.name, netnsPath(a)]).code).toBe(0);
          expect(hostLeftovers(w)).toEqual([]);
          return;
        }
        expect(r.code, r.stderr).toBe(0);
      }
      const ra = w.cnitool(['add', list.name, netnsPath(a)], hasPlugin(list, 'portmap') ? { CAP_ARGS: CAPS(8080) } : {});
      expect(ra.code, ra.stderr).toBe(0);
      const rb = w.cnitool(['add', list.name, netnsPath(b)], { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=peer-b' });
      expect(rb.code, rb.stderr).toBe(0);
      const resA = JSON.parse(ra.stdout);
      const resB = JSON.parse(rb.stdout);

      if (file === '50-none-loopback.conflist') {
        expect(JSON.parse(inNetns(a, ['ip', '-j', 'link'])).map((l: any) => l.ifname)).toEqual(['lo']);
        expect(ping(a, '127.0.0.1')).toBe(true);
      } else {
        const ipA = resA.ips.find((i: any) => !i.address.includes(':')).address.split('/')[0];
        const ipB = resB.ips.find((i: any) => !i.address.includes(':')).address.split('/')[0];
        expect(ping(b, ipA)).toBe(true);
        const srv = await startTcpServer(a, '0.0.0.0', 80);
        try {
          expect(tcpRequest(b, ipA, 80)).toBe(ipB);
          if (hasPlugin(list, 'portmap')) {
            // -p 8080:80 from the host itself, to its own uplink address
            expect(tcpRequest(w.host, '198.18.0.1', 8080)).not.toBe('');
            // hairpin: the container reaches itself through the host port
            expect(tcpRequest(a, '198.18.0.1', 8080)).not.toBe('');
          }
        } finally {
          srv.stop();
        }
        const v6 = resA.ips.find((i: any) => i.address.includes(':'));
        if (v6) expect(ping(b, v6.address.split('/')[0])).toBe(true);
        if (file === '60-internal.conflist') expect(inNetns(a, ['ip', 'route', 'show', 'default'])).toBe('');
      }

      if (list.cniVersion >= '0.4.0') expect(w.cnitool(['check', list.name, netnsPath(a)]).code).toBe(0);
      for (const ns of [a, b]) expect(w.cnitool(['del', list.name, netnsPath(ns)]).code).toBe(0);
      expect(hostLeftovers(w)).toEqual([]);
      const ipamDir = list.plugins.find((p: any) => p.ipam?.dataDir)?.ipam.dataDir;
      if (ipamDir) {
        const leases = fs.readdirSync(path.join(ipamDir, list.name)).filter((f) => /^[0-9a-f.:]+$/.test(f));
        expect(leases).toEqual([]);
      }
    });
  }
});
