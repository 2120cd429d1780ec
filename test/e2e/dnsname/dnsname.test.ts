// dnsname end to end: conflists run by cnitool in a throwaway host netns (reference bridge and
// host-local, our dnsname), real dnsmasq servers, and real DNS queries sent from inside the
// container namespaces.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { DnsWorld, UPSTREAM_ANSWER, longV6, ourDnsmasqs } from './world';

const A = 'tdnneta';
const B = 'tdnnetb';
const GW_A = '10.89.1.1';
const GW_A6 = 'fd89:1::1';
const GW_B = '10.89.2.1';

interface Ctr {
  ns: string;
  v4: string;
  v6?: string;
}

function addrsOf(result: any): { v4: string; v6?: string } {
  const ips: string[] = result.ips.map((i: any) => i.address.split('/')[0]);
  return { v4: ips.find((i) => !i.includes(':'))!, v6: ips.find((i) => i.includes(':')) };
}

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('dnsname', () => {
  let w: DnsWorld;
  const c: Record<string, Ctr> = {};

  function add(net: string, key: string, name?: string, aliases?: string[]): Ctr {
    const ns = w.container();
    const r = w.cnitool('add', net, ns, { name, aliases });
    expect(r.code, r.stderr).toBe(0);
    c[key] = { ns, ...addrsOf(r.json) };
    return c[key]!;
  }

  beforeAll(async () => {
    w = new DnsWorld();
    w.network(A, 'tdnbra', ['10.89.1.0/24', 'fd89:1::/64']);
    w.network(B, 'tdnbrb', ['10.89.2.0/24'], { version: '1.0.0' });
    await w.startUpstream();
  });

  afterAll(() => {
    w?.destroy([A, B]);
    expect(ourDnsmasqs(w.root)).toEqual([]);
    expect(leakedNetns().filter((n) => n.startsWith('tdn'))).toEqual([]);
  });

  it('ADD starts the server on the gateway and names it in the result (cniVersion 0.4.0, as podman)', () => {
    const ns = w.container();
    const r = w.cnitool('add', A, ns, { name: 'web', aliases: ['www', 'shared'] });
    expect(r.code, r.stderr).toBe(0);
    c.web = { ns, ...addrsOf(r.json) };
    expect(r.json.cniVersion).toBe('0.4.0');
    expect(r.json.dns).toEqual({ nameservers: [GW_A, GW_A6], search: ['dns.podman'] });
    expect(r.json.interfaces.map((i: any) => i.name)).toContain('tdnbra'); // prevResult passed through
    const pid = w.serverPid(A);
    expect(pid).toBeDefined();
    // Bound to the gateway addresses only: never a wildcard, never loopback.
    const bound = inNetns(w.host, ['ss', '-Hlnup'])
      .split('\n')
      .filter((l) => l.includes(`pid=${pid},`))
      .map((l) => l.trim().split(/\s+/)[3]);
    expect(bound).toContain(`${GW_A}:53`);
    for (const b of bound) expect([`${GW_A}:53`, `[${GW_A6}]:53`]).toContain(b);
    const conf = fs.readFileSync(path.join(w.netDir(A), 'dnsmasq.conf'), 'utf8');
    expect(conf).toMatch(/^listen-address=10\.89\.1\.1$/m);
    expect(conf).toMatch(/^listen-address=fd89:1::1$/m);
    expect(conf).toMatch(/^user=dnsmasq$/m);
    // It dropped root for the dnsmasq account (Debian's package creates it).
    const uid = sh(['id', '-u', 'dnsmasq']).trim();
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
  });

  it('three containers resolve each other by name and alias, qualified or not, A and AAAA', async () => {
    add(A, 'bbox', 'custom_bbox02', ['shared']);
    add(A, 'db', 'db');
    const { web, bbox, db } = c as Required<typeof c>;
    for (const from of [web!, bbox!, db!]) {
      expect(w.addrs(from.ns, GW_A, 'web')).toEqual([web!.v4]);
      expect(w.addrs(from.ns, GW_A, 'www.dns.podman')).toEqual([web!.v4]);
      expect(w.addrs(from.ns, GW_A, 'custom_bbox02.dns.podman')).toEqual([bbox!.v4]);
      expect(w.addrs(from.ns, GW_A, 'db')).toEqual([db!.v4]);
      expect(w.addrs(from.ns, GW_A, 'DB.DNS.PODMAN')).toEqual([db!.v4]);
      expect(w.addrs(from.ns, GW_A, 'web', 'AAAA')).toEqual([longV6(web!.v6!)]);
      expect(w.addrs(from.ns, GW_A, 'custom_bbox02', 'AAAA')).toEqual([longV6(bbox!.v6!)]);
      // A shared alias resolves to every holder.
      expect(w.addrs(from.ns, GW_A, 'shared')).toEqual([web!.v4, bbox!.v4].sort());
    }
    // Over IPv6 to the IPv6 gateway too (once its DAD is over, dnsmasq binds it).
    const v6 = await eventually(() => w.resolve(db!.ns, GW_A6, 'web.dns.podman', 'AAAA'), (a) => !a.error);
    expect(v6).toEqual({ rcode: 0, answers: [longV6(web!.v6!)] });
    // Reverse lookup gives the container's name.
    const ptr = w.resolve(db!.ns, GW_A, web!.v4.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR');
    expect(ptr.answers).toEqual(['web.dns.podman']);
  });

  it('unknown names under the domain are NXDOMAIN; names outside it are forwarded upstream', () => {
    expect(w.resolve(c.web!.ns, GW_A, 'nobody.dns.podman')).toEqual({ rcode: 3, answers: [] });
    expect(w.addrs(c.web!.ns, GW_A, 'outside.example')).toEqual([UPSTREAM_ANSWER]);
  });

  it('a container on another network does not see them (and has its own server)', () => {
    const other = add(B, 'other', 'other');
    expect(w.cnitool('check', B, other.ns).code).toBe(0);
    expect(w.resolve(other.ns, GW_B, 'web')).toEqual({ rcode: 3, answers: [] });
    expect(w.resolve(other.ns, GW_B, 'web.dns.podman')).toEqual({ rcode: 3, answers: [] });
    expect(w.addrs(other.ns, GW_B, 'other')).toEqual([other.v4]);
    expect(w.resolve(c.web!.ns, GW_A, 'other')).toEqual({ rcode: 3, answers: [] });
    expect(w.serverPid(B)).not.toBe(w.serverPid(A));
  });

  it('CHECK passes while the server serves the container', () => {
    for (const k of ['web', 'bbox', 'db']) {
      const r = w.cnitool('check', A, c[k]!.ns);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a name already on the network is refused; a name that is not a DNS label too', () => {
    const ns = w.container();
    const dup = w.cnitool('add', A, ns, { name: 'WEB' });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/name "WEB" is already used by container \S+ \(eth0\) as its name on network "tdnneta"/);
    expect(w.cnitool('del', A, ns).code).toBe(0);
    const bad = w.cnitool('add', A, ns, { name: 'bad.name' });
    expect(bad.stderr).toMatch(/invalid container name "bad.name" in CNI_ARGS K8S_POD_NAME: not a DNS label/);
    expect(w.cnitool('del', A, ns).code).toBe(0);
    expect(w.addrs(c.web!.ns, GW_A, 'web')).toEqual([c.web!.v4]);
    expect(fs.readFileSync(path.join(w.netDir(A), 'addnhosts'), 'utf8')).not.toMatch(/bad/);
  });

  it('DEL removes the name; the others keep resolving', () => {
    const r = w.cnitool('del', A, c.db!.ns);
    expect(r.code, r.stderr).toBe(0);
    expect(w.resolve(c.web!.ns, GW_A, 'db')).toEqual({ rcode: 3, answers: [] });
    expect(w.resolve(c.web!.ns, GW_A, 'db', 'AAAA')).toEqual({ rcode: 3, answers: [] });
    expect(w.addrs(c.bbox!.ns, GW_A, 'web')).toEqual([c.web!.v4]);
    expect(w.cnitool('del', A, c.db!.ns).code).toBe(0); // idempotent
  });

  it('a killed server: CHECK notices, the next ADD restarts it with every name', () => {
    const pid = w.serverPid(A)!;
    process.kill(pid, 'SIGKILL');
    const check = w.cnitool('check', A, c.web!.ns);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/the DNS server of network "tdnneta" is not running/);
    expect(w.resolve(c.web!.ns, GW_A, 'web').error).toBeDefined();
    const db = w.cnitool('add', A, c.db!.ns, { name: 'db' });
    expect(db.code, db.stderr).toBe(0);
    c.db = { ns: c.db!.ns, ...addrsOf(db.json) };
    expect(w.serverPid(A)).not.toBe(pid);
    expect(w.cnitool('check', A, c.web!.ns).code).toBe(0);
    expect(w.addrs(c.web!.ns, GW_A, 'db')).toEqual([c.db.v4]);
    expect(w.addrs(c.db.ns, GW_A, 'custom_bbox02')).toEqual([c.bbox!.v4]);
  });

  it('CHECK notices a server that no longer serves the container', () => {
    // Someone rewrote the hosts file behind our back and reloaded the server.
    const hosts = path.join(w.netDir(A), 'addnhosts');
    const saved = fs.readFileSync(hosts, 'utf8');
    fs.writeFileSync(hosts, saved.split('\n').filter((l) => !l.includes('web')).join('\n'));
    process.kill(w.serverPid(A)!, 'SIGHUP');
    const r = w.cnitool('check', A, c.web!.ns);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not serve container .*web\.dns\.podman A answered \[\]/);
    fs.writeFileSync(hosts, saved);
    process.kill(w.serverPid(A)!, 'SIGHUP');
    expect(w.cnitool('check', A, c.web!.ns).code).toBe(0);
  });

  it('STATUS: 0 when dnsmasq exists, 50 when it does not', () => {
    const conf = { cniVersion: '1.1.0', name: A, type: 'dnsname' };
    expect(run('dnsname', { env: cniEnv('STATUS'), stdin: conf }).code).toBe(0);
    const r = run('dnsname', { env: cniEnv('STATUS'), stdin: { ...conf, dnsmasqPath: '/nonexistent/dnsmasq' } });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 50, msg: expect.stringMatching(/dnsmasq not found "\/nonexistent\/dnsmasq"/) });
  });

  it('GC drops the names of attachments that are gone, and the server with the last one', () => {
    const conf = { cniVersion: '1.1.0', name: A, type: 'dnsname', stateDir: w.state };
    const records = () => JSON.parse(fs.readFileSync(path.join(w.netDir(A), 'records.json'), 'utf8'));
    const web = records().registrations.find((r: any) => r.name === 'web');
    const gc1 = run('dnsname', { netns: w.host, env: cniEnv('GC'), stdin: { ...conf, 'cni.dev/valid-attachments': [{ containerID: web.containerId, ifname: 'eth0' }] } });
    expect(gc1.code, gc1.stdout).toBe(0);
    expect(records().registrations.map((r: any) => r.name)).toEqual(['web']);
    expect(w.resolve(c.web!.ns, GW_A, 'db')).toEqual({ rcode: 3, answers: [] });
    expect(w.addrs(c.bbox!.ns, GW_A, 'web')).toEqual([c.web!.v4]);
    const pid = w.serverPid(A)!;
    expect(run('dnsname', { netns: w.host, env: cniEnv('GC'), stdin: { ...conf, 'cni.dev/valid-attachments': [] } }).code).toBe(0);
    expect(fs.existsSync(w.netDir(A))).toBe(false);
    expect(ourDnsmasqs(w.root)).not.toContain(pid);
  });

  it('the last DEL stops the server and removes its state', () => {
    // GC left the containers attached with no names: take them off network A, then one more.
    for (const k of ['web', 'bbox', 'db']) {
      const ns = c[k]!.ns;
      expect(w.cnitool('del', A, ns).code).toBe(0);
    }
    const x = add(A, 'x', 'x');
    const pid = w.serverPid(A)!;
    expect(w.addrs(x.ns, GW_A, 'x')).toEqual([x.v4]);
    expect(w.cnitool('del', A, x.ns).code).toBe(0);
    expect(fs.existsSync(w.netDir(A))).toBe(false);
    expect(ourDnsmasqs(w.root)).not.toContain(pid);
    expect(w.serverPid(B)).toBeDefined(); // network B is untouched
  });
});

describe('dnsname, called directly', () => {
  let w: DnsWorld;
  const NET = 'tdnpar';
  const GW = '10.89.9.1';
  const conf = (version: string, prev?: object) => ({ cniVersion: version, name: NET, type: 'dnsname', stateDir: w.state, upstreamServers: [], ...(prev ? { prevResult: prev } : {}) });
  const prev = (i: number) => ({
    cniVersion: '1.0.0',
    interfaces: [{ name: 'tdnbrp' }, { name: 'eth0', sandbox: '/var/run/netns/x' }],
    ips: [{ interface: 1, address: `10.89.9.${10 + i}/24`, gateway: GW }],
  });
  const env = (cmd: string, i: number, name?: string) =>
    cniEnv(cmd, { CNI_CONTAINERID: `par-${i}`, CNI_NETNS: netnsPath(w.host), CNI_NETNS_OVERRIDE: '1', CNI_IFNAME: 'eth0', CNI_ARGS: name ? `K8S_POD_NAME=${name}` : undefined });

  beforeAll(() => {
    w = new DnsWorld();
    // A bridge with the gateway address, as the bridge plugin would leave it.
    for (const cmd of [['link', 'add', 'tdnbrp', 'type', 'bridge'], ['addr', 'add', `${GW}/24`, 'dev', 'tdnbrp'], ['link', 'set', 'tdnbrp', 'up']]) {
      inNetns(w.host, ['ip', ...cmd]);
    }
  });
  afterAll(() => {
    w?.destroy([]);
    expect(ourDnsmasqs(w.root)).toEqual([]);
  });

  it('8 parallel ADDs lose no name (the network lock)', async () => {
    const { spawn } = await import('node:child_process');
    const { bin } = await import('../../helpers/bins');
    const one = (i: number) =>
      new Promise<number>((resolve) => {
        const e = env('ADD', i, `p${i}`);
        const p = spawn('ip', ['netns', 'exec', w.host, bin('dnsname')], { env: { PATH: process.env.PATH, ...e } as any, stdio: ['pipe', 'ignore', 'ignore'] });
        p.stdin.end(JSON.stringify(conf('1.1.0', prev(i))));
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([...Array(8).keys()].map(one))).toEqual(Array(8).fill(0));
    const hosts = fs.readFileSync(path.join(w.netDir(NET), 'addnhosts'), 'utf8');
    for (let i = 0; i < 8; i++) expect(hosts).toContain(`10.89.9.${10 + i}\tp${i}.dns.podman p${i}\t# par-${i} eth0`);
    expect(ourDnsmasqs(w.root)).toHaveLength(1);
    for (let i = 0; i < 8; i++) expect(w.addrs(w.host, GW, `p${i}`)).toEqual([`10.89.9.${10 + i}`]);
  });

  it.each(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])('ADD answers in cniVersion %s with the dns section added', (v) => {
    const r = run('dnsname', { netns: w.host, env: env('ADD', 20, 'v' + v.replace(/\./g, '')), stdin: conf(v, { ...prev(20), cniVersion: v }) });
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.cniVersion).toBe(v);
    expect(r.json.dns).toEqual({ nameservers: [GW], search: ['dns.podman'] });
    if (v.startsWith('0.')) expect(r.json.ips[0].version).toBe('4');
    expect(w.addrs(w.host, GW, 'v' + v.replace(/\./g, ''))).toEqual(['10.89.9.30']);
  });

  it('bad input is refused before anything changes', () => {
    const before = fs.readFileSync(path.join(w.netDir(NET), 'addnhosts'), 'utf8');
    const cases: [object, string | undefined, number, RegExp][] = [
      [conf('1.0.0'), 'ok', 7, /chained plugin/],
      [{ ...conf('1.0.0', prev(30)), domainName: 'bad..domain' }, 'ok', 7, /field "domainName"/],
      [{ ...conf('1.0.0', prev(30)), upstreamServers: ['not-an-ip'] }, 'ok', 7, /upstreamServers\[0\]/],
      [conf('1.0.0', prev(30)), '-x-', 4, /not a DNS label/],
      [{ ...conf('1.0.0', prev(30)), runtimeConfig: { aliases: { [NET]: ['a b'] } } }, 'ok', 7, /runtimeConfig.aliases.tdnpar\[0\]/],
      [{ ...conf('1.0.0', prev(30)), dnsmasqPath: '/nonexistent/dnsmasq' }, 'ok', 50, /dnsmasq not found/],
      [conf('1.0.0', { cniVersion: '1.0.0', ips: [{ address: '10.89.9.40/24' }] }), 'ok', 7, /gateway/],
    ];
    for (const [stdin, name, code, msg] of cases) {
      const r = run('dnsname', { netns: w.host, env: env('ADD', 30, name), stdin });
      expect(r.code).toBe(1);
      expect(r.json.code).toBe(code);
      expect(`${r.json.msg} ${r.json.details ?? ''}`).toMatch(msg);
    }
    expect(fs.readFileSync(path.join(w.netDir(NET), 'addnhosts'), 'utf8')).toBe(before);
  });

  it('parallel DELs of everything stop the server and remove the state', async () => {
    const { spawn } = await import('node:child_process');
    const { bin } = await import('../../helpers/bins');
    const pid = w.serverPid(NET)!;
    const one = (i: number) =>
      new Promise<number>((resolve) => {
        const p = spawn('ip', ['netns', 'exec', w.host, bin('dnsname')], { env: { PATH: process.env.PATH, ...env('DEL', i) } as any, stdio: ['pipe', 'ignore', 'ignore'] });
        p.stdin.end(JSON.stringify(conf('1.1.0')));
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([...[...Array(8).keys()], 20].map(one))).toEqual(Array(9).fill(0));
    expect(fs.existsSync(w.netDir(NET))).toBe(false);
    expect(ourDnsmasqs(w.root)).not.toContain(pid);
    // DEL of an unknown attachment on a network without state: success.
    expect(run('dnsname', { netns: w.host, env: env('DEL', 99), stdin: conf('1.1.0') }).code).toBe(0);
  });
});

describe('conf-examples/dnsname.conflist (what podman writes for a network)', () => {
  let w: DnsWorld;
  afterAll(() => {
    w?.destroy(['podnet']);
    expect(ourDnsmasqs(w.root)).toEqual([]);
  });

  it('two containers find each other by name; DEL of both stops the server', () => {
    w = new DnsWorld();
    const list = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../conf-examples/dnsname.conflist'), 'utf8'));
    list.plugins[0].ipam.dataDir = w.ipam;
    Object.assign(list.plugins.at(-1), { stateDir: w.state, upstreamServers: [] });
    fs.writeFileSync(path.join(w.netconf, 'podnet.conflist'), JSON.stringify(list));
    const one = w.container();
    const two = w.container();
    const r1 = w.cnitool('add', 'podnet', one, { name: 'custom_bbox01' });
    const r2 = w.cnitool('add', 'podnet', two, { name: 'custom_bbox02', aliases: ['bbox'] });
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
    expect(r2.json.dns).toEqual({ nameservers: ['10.89.0.1'], search: ['dns.podman'] });
    expect(w.addrs(one, '10.89.0.1', 'custom_bbox02')).toEqual([addrsOf(r2.json).v4]);
    expect(w.addrs(one, '10.89.0.1', 'bbox.dns.podman')).toEqual([addrsOf(r2.json).v4]);
    expect(w.addrs(two, '10.89.0.1', 'custom_bbox01')).toEqual([addrsOf(r1.json).v4]);
    expect(w.cnitool('check', 'podnet', two).code).toBe(0);
    for (const ns of [one, two]) expect(w.cnitool('del', 'podnet', ns).code).toBe(0);
    expect(fs.existsSync(w.netDir('podnet'))).toBe(false);
    expect(ourDnsmasqs(w.root)).toEqual([]);
  });
});
