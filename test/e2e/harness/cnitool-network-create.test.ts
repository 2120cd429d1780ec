// `cnitool network create/rm/prune` with the bridge driver against the real kernel, in a
// throwaway host netns: the written conflist works (two containers, traffic by address and by
// name, a published port), rm is refused while attached and leaves nothing after the DELs, every
// refusal writes nothing, and rm/prune never touch another network's state.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, inNetns, leakedNetns, netnsPath, sh } from '../../helpers/netns';
import { startTcpServer, tcpRequest, type Server } from '../../helpers/traffic';
import { goCnitoolId } from './harness-env';
import { NetLab, ipOf } from './network-lab';

const lab = new NetLab();
const HOST_IP = '172.17.0.1';
const servers: Server[] = [];

beforeAll(() => {
  // The host already uses 172.17.0.0/16 (a docker0 of sorts): the default pool must skip it.
  sh(['ip', '-n', lab.host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-p']);
  sh(['ip', '-n', lab.host, 'addr', 'add', `${HOST_IP}/16`, 'dev', 'uplink']);
  sh(['ip', '-n', lab.host, 'link', 'set', 'uplink', 'up']);
  sh(['ip', '-n', lab.host, 'link', 'set', 'uplink-p', 'up']);
});
afterAll(() => {
  for (const s of servers) s.stop();
  lab.cnitool(['network', 'prune']);
  deleteAllNetns();
  lab.cleanup();
  expect(leakedNetns()).toEqual([]);
});

describe('network create (bridge) → add → traffic → rm', () => {
  it('creates a working network, refuses rm while attached, and rm after the DELs leaves nothing', async () => {
    const c = lab.cnitool(['network', 'create', '-o', `data_dir=${lab.data}`, 'web']);
    expect([c.code, c.stdout, c.stderr]).toEqual([0, 'web\n', '']);
    const file = lab.conflist('web');
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(conf).toMatchObject({ cniVersion: '1.1.0', name: 'web', 'x-tscni-created': true });
    expect(conf.plugins.map((p: any) => p.type)).toEqual(['bridge', 'portmap', 'firewall', 'tuning', 'dnsname']);
    // 172.17.0.0/16 is the host's: the first free /24 of the pool is 172.18.0.0/24.
    expect(conf.plugins[0].ipam.ranges).toEqual([[{ subnet: '172.18.0.0/24' }]]);

    const c1 = createNetns('tnc-c');
    const c2 = createNetns('tnc-c');
    const r1 = lab.add('web', c1, 'alpha', { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    const r2 = lab.add('web', c2, 'beta');
    const [ip1, ip2] = [ipOf(r1), ipOf(r2)];
    expect(ip1).toMatch(/^172\.18\.0\.\d+$/);
    expect(r1.dns.nameservers).toEqual(['172.18.0.1']);
    expect(lab.linkNames()).toContain('cni-web');

    servers.push(await startTcpServer(c1, '0.0.0.0', 80));
    // By address, by name (dnsname on the gateway), and through the published port.
    expect(tcpRequest(c2, ip1, 80)).toBe(ip2);
    expect(lab.resolve(c2, '172.18.0.1', 'alpha')).toEqual([ip1]);
    expect(lab.resolve(c1, '172.18.0.1', 'beta.dns.podman')).toEqual([ip2]);
    expect(tcpRequest(c2, lab.resolve(c2, '172.18.0.1', 'alpha')[0]!, 80)).toBe(ip2);
    // The host reaches the published port on its own address; the server sees one of the host's.
    expect([HOST_IP, '172.18.0.1']).toContain(tcpRequest(lab.host, HOST_IP, 8080));

    const busy = lab.cnitool(['network', 'rm', 'web']);
    expect(busy.code).toBe(1);
    const ids = [goCnitoolId(netnsPath(c1)), goCnitoolId(netnsPath(c2))].sort();
    expect(busy.stderr).toBe(`network web has active endpoints: ${ids.join(', ')}\n`);
    expect(fs.existsSync(file)).toBe(true);
    expect(tcpRequest(c2, ip1, 80)).toBe(ip2);

    expect(lab.del('web', c1).code).toBe(0);
    expect(lab.del('web', c2).code).toBe(0);
    const rm = lab.cnitool(['network', 'rm', 'web']);
    expect([rm.code, rm.stdout, rm.stderr]).toEqual([0, 'web\n', '']);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.join(lab.data, 'networks', 'web'))).toBe(false);
    expect(fs.existsSync(path.join(lab.data, 'dnsname', 'web'))).toBe(false);
    expect(lab.linkNames()).not.toContain('cni-web');
    const rules = lab.ruleset();
    for (const needle of ['web/', ip1, ip2, 'cni-web', '172.18.0.0/24']) expect(rules).not.toContain(needle);
    const gone = lab.cnitool(['network', 'rm', 'web']);
    expect([gone.code, gone.stderr]).toEqual([1, 'network web not found\n']);
  });

  it('rm --force DELs the attachments first', () => {
    expect(lab.cnitool(['network', 'create', '--subnet', '10.123.0.0/24', '-o', `data_dir=${lab.data}`, '-o', 'isolate=true', 'forced']).code).toBe(0);
    const c = createNetns('tnc-c');
    const r = lab.add('forced', c, 'gamma');
    expect(ipOf(r)).toBe('10.123.0.2');
    expect(inNetns(lab.host, ['nft', 'list', 'set', 'inet', 'tscni_firewall', 'policy_br'])).toContain('cni-forced');
    const rm = lab.cnitool(['network', 'rm', '--force', 'forced']);
    expect([rm.code, rm.stdout], rm.stderr).toEqual([0, 'forced\n']);
    expect(lab.linkNames(c)).toEqual(['lo']);
    expect(fs.existsSync(path.join(lab.cache, 'results', `forced-${goCnitoolId(netnsPath(c))}-eth0`))).toBe(false);
    expect(fs.existsSync(path.join(lab.data, 'networks', 'forced'))).toBe(false);
    expect(lab.linkNames()).not.toContain('cni-forced');
    const rules = lab.ruleset();
    for (const needle of ['forced/', '10.123.0.2', 'cni-forced']) expect(rules).not.toContain(needle);
  });

  it('--internal: no default route, no masquerade, no published ports; names still resolve', () => {
    const r = lab.cnitool(['network', 'create', '--internal', '--subnet', '10.124.0.0/24', '-o', `data_dir=${lab.data}`, 'inside', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plugins.map((p: any) => p.type)).toEqual(['bridge', 'firewall', 'tuning', 'dnsname']);
    const [a, b] = [createNetns('tnc-c'), createNetns('tnc-c')];
    const ra = lab.add('inside', a, 'one');
    lab.add('inside', b, 'two');
    expect(inNetns(a, ['ip', 'route', 'show', 'default'])).toBe('');
    expect(lab.resolve(b, '10.124.0.1', 'one')).toEqual([ipOf(ra)]);
    expect(lab.cnitool(['network', 'rm', '--force', 'inside']).code).toBe(0);
  });
});

describe('network create refusals write nothing', () => {
  it('refuses each bad request with one clear line and exit 1', () => {
    expect(lab.cnitool(['network', 'create', '--subnet', '10.130.0.0/16', '-o', `data_dir=${lab.data}`, 'taken']).code).toBe(0);
    sh(['ip', '-n', lab.host, 'route', 'add', '10.140.0.0/16', 'dev', 'uplink']);
    // A file whose name is not its network's: --force must not replace another network.
    fs.writeFileSync(lab.conflist('odd'), JSON.stringify({ cniVersion: '1.1.0', name: 'strange', plugins: [{ type: 'loopback' }] }));
    const before = lab.netconfSnapshot();
    const cases: Array<[string[], string]> = [
      [['taken'], `network with name taken already exists (${lab.conflist('taken')})`],
      [['--force', 'odd'], `${lab.conflist('odd')} already exists and defines network strange: remove that network first`],
      [['--subnet', '10.130.5.0/24', 'n1'], 'pool overlaps with network "taken" (10.130.0.0/16): --subnet 10.130.5.0/24'],
      [['--subnet', '10.140.1.0/24', 'n1'], 'pool overlaps with host route 10.140.0.0/16 dev uplink: --subnet 10.140.1.0/24'],
      [['--subnet', '172.17.9.0/24', 'n1'], 'pool overlaps with host route 172.17.0.0/16 dev uplink: --subnet 172.17.9.0/24'],
      [['--subnet', '10.150.0.0/24', '--gateway', '10.151.0.1', 'n1'], '--gateway 10.151.0.1 is outside its subnet 10.150.0.0/24'],
      [['--subnet', '10.150.0.0/24', '--ip-range', '10.150.1.0/25', 'n1'], '--ip-range 10.150.1.0/25 is outside its subnet 10.150.0.0/24'],
      [['bad/name'], 'invalid network name "bad/name": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$'],
      [['-.x'], 'unknown flag: -.x'],
      [['-d', 'overlay', 'n1'], 'unknown driver "overlay": use one of bridge, macvlan, vxlan'],
      [['-o', 'color=blue', 'n1'], 'unknown option "color" for driver bridge (known: bridge, mtu, isolate, ip_masquerade, dns_domain, data_dir)'],
      [['-d', 'macvlan', 'n1'], 'the macvlan driver needs -o parent=IF (the host interface the containers share)'],
      [['-d', 'macvlan', '-o', 'parent=eth7', 'n1'], '-o parent=eth7: no link named eth7 on this host'],
      [['-d', 'vxlan', 'n1'], 'the vxlan driver needs -o etcd=URL[,URL] (hosts meet in etcd) or -o peers=FILE (a JSON list of the hosts)'],
    ];
    for (const [args, msg] of cases) {
      const r = lab.cnitool(['network', 'create', ...args]);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([1, '', msg]);
    }
    expect(lab.netconfSnapshot()).toEqual(before);
    // --dry-run prints what it would write and writes nothing either.
    const dry = lab.cnitool(['network', 'create', '--dry-run', '--subnet', '10.160.0.0/24', 'n2']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).name).toBe('n2');
    expect(lab.netconfSnapshot()).toEqual(before);
    // --force replaces a network without endpoints.
    const again = lab.cnitool(['network', 'create', '--force', '--subnet', '10.130.0.0/24', '-o', `data_dir=${lab.data}`, 'taken']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(lab.conflist('taken'), 'utf8')).plugins[0].ipam.ranges).toEqual([[{ subnet: '10.130.0.0/24' }]]);
    expect(lab.cnitool(['network', 'rm', 'taken', 'strange']).code).toBe(0);
    expect(lab.netconfSnapshot()).toEqual({});
  });
});

describe('ownership', () => {
  it('rm of a network sharing a bridge keeps the bridge and the other network working', async () => {
    const opts = ['-o', 'bridge=tnc-shared', '-o', `data_dir=${lab.data}`, '--dns=false'];
    expect(lab.cnitool(['network', 'create', ...opts, '--subnet', '10.170.0.0/24', 'keep']).code).toBe(0);
    expect(lab.cnitool(['network', 'create', ...opts, '--subnet', '10.171.0.0/24', 'drop']).code).toBe(0);
    const [k1, k2] = [createNetns('tnc-c'), createNetns('tnc-c')];
    const rk1 = lab.add('keep', k1, 'k1');
    const rk2 = lab.add('keep', k2, 'k2');
    const d = createNetns('tnc-c');
    lab.add('drop', d, 'd1');
    expect(lab.del('drop', d).code).toBe(0);
    const rm = lab.cnitool(['network', 'rm', 'drop']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toBe('drop: kept bridge tnc-shared: network keep uses it too\n');
    expect(lab.linkNames()).toContain('tnc-shared');
    expect(fs.existsSync(lab.conflist('keep'))).toBe(true);
    expect(fs.readdirSync(path.join(lab.data, 'networks', 'keep')).filter((f) => /^\d/.test(f)).sort()).toEqual([ipOf(rk1), ipOf(rk2)].sort());
    servers.push(await startTcpServer(k1, '0.0.0.0', 81));
    expect(tcpRequest(k2, ipOf(rk1), 81)).toBe(ipOf(rk2));
    expect(lab.cnitool(['network', 'rm', '--force', 'keep']).code).toBe(0);
    expect(lab.linkNames()).not.toContain('tnc-shared');
  });

  it('prune removes only created networks without endpoints', () => {
    expect(lab.cnitool(['network', 'create', '--subnet', '10.180.0.0/24', '-o', `data_dir=${lab.data}`, 'idle']).code).toBe(0);
    expect(lab.cnitool(['network', 'create', '--subnet', '10.181.0.0/24', '-o', `data_dir=${lab.data}`, 'used']).code).toBe(0);
    const handWritten = { cniVersion: '1.1.0', name: 'hand', plugins: [{ type: 'loopback' }] };
    fs.writeFileSync(path.join(lab.netconf, '50-hand.conflist'), JSON.stringify(handWritten));
    const c = createNetns('tnc-c');
    lab.add('used', c, 'u1');
    const p = lab.cnitool(['network', 'prune']);
    expect([p.code, p.stdout, p.stderr]).toEqual([0, 'Deleted Networks:\nidle\n', '']);
    expect(Object.keys(lab.netconfSnapshot())).toEqual(['50-hand.conflist', 'used.conflist']);
    expect(lab.del('used', c).code).toBe(0);
    expect(lab.cnitool(['network', 'prune']).stdout).toBe('Deleted Networks:\nused\n');
    expect(Object.keys(lab.netconfSnapshot())).toEqual(['50-hand.conflist']);
    // rm works on a hand-written network too (Docker removes any user network).
    expect(lab.cnitool(['network', 'rm', 'hand']).code).toBe(0);
  });
});
