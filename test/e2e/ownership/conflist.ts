// A bridge + host-local + portmap conflist run the way libcni runs it (ADD in order, DEL in
// reverse, prevResult chained), inside a throwaway "host" netns with an "outside" netns on an
// uplink: enough to watch who owns an address and a host port across a container's lifetime.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cniEnv, run, type RunResult } from '../../helpers/bins';
import { createNetns, deleteNetns, inNetns, netnsPath, sh } from '../../helpers/netns';

export const HOST_UPLINK = '203.0.113.1';
export const OUTSIDE_ADDR = '203.0.113.2';

export interface Attach {
  id: string;
  ns: string;
  ifname: string;
  result?: any;
}

export interface Net {
  name: string;
  bridge: string;
  subnet: string;
  /** One-address range: every container gets the same address (unless `last` widens it). */
  only: string;
  last?: string;
}

export class Lab {
  readonly host = createNetns('town-host');
  readonly outside = createNetns('town-out');
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'town-ipam-'));
  private ctrs: string[] = [];
  /** The build that runs the plugins (undefined: the one under test). */
  binDir?: string;

  constructor(readonly backend: 'nftables' | 'iptables') {
    sh(['ip', '-n', this.host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'wan', 'netns', this.outside]);
    sh(['ip', '-n', this.host, 'addr', 'add', `${HOST_UPLINK}/24`, 'dev', 'uplink']);
    sh(['ip', '-n', this.host, 'link', 'set', 'uplink', 'up']);
    sh(['ip', '-n', this.outside, 'addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', 'wan']);
    sh(['ip', '-n', this.outside, 'link', 'set', 'wan', 'up']);
  }

  ctr(): string {
    const ns = createNetns('town-ctr');
    this.ctrs.push(ns);
    return ns;
  }

  plugins(net: Net, ports: unknown[] | undefined): Record<string, unknown>[] {
    const pm: Record<string, unknown> = { type: 'portmap', backend: this.backend, capabilities: { portMappings: true } };
    if (ports) pm.runtimeConfig = { portMappings: ports };
    return [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: true,
        ipMasq: true,
        ipMasqBackend: this.backend,
        ipam: { type: 'host-local', ranges: [[{ subnet: net.subnet, rangeStart: net.only, rangeEnd: net.last ?? net.only }]], dataDir: this.dataDir, routes: [{ dst: '0.0.0.0/0' }] },
      },
      pm,
    ];
  }

  private call(cmd: string, plugin: Record<string, unknown>, net: Net, a: Attach, prev: unknown): RunResult {
    const conf: Record<string, unknown> = { cniVersion: '1.1.0', name: net.name, ...plugin };
    if (prev) conf.prevResult = prev;
    const env = cniEnv(cmd, { CNI_CONTAINERID: a.id, CNI_NETNS: netnsPath(a.ns), CNI_IFNAME: a.ifname, ...(this.binDir ? { CNI_PATH: this.binDir } : {}) });
    return run(String(plugin.type), { netns: this.host, env, stdin: conf, binDir: this.binDir });
  }

  add(net: Net, a: Attach, ports: unknown[]): any {
    let prev: unknown;
    for (const p of this.plugins(net, ports)) {
      const r = this.call('ADD', p, net, a, prev);
      if (r.code !== 0) throw Object.assign(new Error(`ADD ${p.type} ${a.id}: ${r.stdout}${r.stderr}`), { result: r });
      prev = r.json;
    }
    a.result = prev;
    return prev;
  }

  /** DEL in reverse order; `prev` false = no prevResult, `ports` undefined = no capability args. */
  del(net: Net, a: Attach, ports: unknown[] | undefined, withPrev = true): void {
    for (const p of this.plugins(net, ports).reverse()) {
      const r = this.call('DEL', p, net, a, withPrev ? a.result : undefined);
      if (r.code !== 0) throw new Error(`DEL ${p.type} ${a.id}: ${r.stdout}${r.stderr}`);
    }
  }

  check(net: Net, a: Attach, ports: unknown[]): RunResult[] {
    return this.plugins(net, ports).map((p) => this.call('CHECK', p, net, a, a.result));
  }

  gc(net: Net, valid: { containerID: string; ifname: string }[]): void {
    for (const p of this.plugins(net, undefined)) {
      const r = run(String(p.type), { netns: this.host, binDir: this.binDir, env: cniEnv('GC', this.binDir ? { CNI_PATH: this.binDir } : {}), stdin: { cniVersion: '1.1.0', name: net.name, ...p, 'cni.dev/valid-attachments': valid } });
      if (r.code !== 0) throw new Error(`GC ${p.type}: ${r.stdout}${r.stderr}`);
    }
  }

  /** The owner recorded in host-local's lease file for an address ("<containerID>\n<ifname>"). */
  leaseOwner(net: Net, ip: string): string | undefined {
    const f = path.join(this.dataDir, net.name, ip);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().replace(/\r?\n/g, '/') : undefined;
  }

  /** Per-network and per-container firewall state left on the host. */
  firewallState(): string[] {
    const out: string[] = [];
    if (this.backend === 'nftables') {
      const j = JSON.parse(inNetns(this.host, ['nft', '-j', 'list', 'ruleset'])).nftables as any[];
      for (const o of j) {
        if (o.chain?.table === 'tscni_masq' && o.chain.name !== 'postrouting') out.push(`chain ${o.chain.name}`);
        const s = o.set ?? o.map;
        if (s && s.table?.startsWith('tscni_') && s.name !== 'cfg' && s.name !== 'subs' && s.elem?.length) out.push(`${s.table}/${s.name}: ${JSON.stringify(s.elem)}`);
      }
    } else {
      for (const t of ['iptables-save', 'ip6tables-save']) {
        for (const l of inNetns(this.host, [t, '-t', 'nat']).split('\n')) if (/^:CNI-(DN-)?[0-9a-f]{21,24} /.test(l)) out.push(l);
      }
    }
    return out;
  }

  dropNetns(ns: string): void {
    deleteNetns(ns);
    this.ctrs = this.ctrs.filter((c) => c !== ns);
  }

  destroy(): void {
    for (const c of this.ctrs) deleteNetns(c);
    deleteNetns(this.outside);
    deleteNetns(this.host);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
