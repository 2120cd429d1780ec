#!/usr/bin/env node
// npm run demo: a Docker user-defined network, made by `cnitool network create` from our plugins
// and driven by our cnitool, in throwaway namespaces: a "host", two containers ("web" publishing
// -p 8080:80, and "client") and an "outside" machine on the host's uplink. Shows the results,
// proves the traffic (by address, by name, through the published port), removes everything with
// `cnitool network rm`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist', 'bin');
const id = process.pid;
const ns = { host: `demo-host-${id}`, web: `demo-web-${id}`, client: `demo-client-${id}`, outside: `demo-out-${id}` };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-demo-'));
const HOST_IP = '198.18.0.1';
const OUTSIDE_IP = '198.18.0.2';

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n, s) => console.log(`\n${bold(`${n}. ${s}`)}`);
const ip = (...a) => execFileSync('ip', a, { encoding: 'utf8' });
const inNs = (n, argv, opts = {}) => spawnSync('ip', ['netns', 'exec', n, ...argv], { encoding: 'utf8', ...opts });

const NET = 'appnet';
const dataDir = path.join(tmp, 'data');
const env = { PATH: process.env.PATH, NETCONFPATH: path.join(tmp, 'net.d'), CNI_PATH: bin, CNI_CACHE_DIR: path.join(tmp, 'cache'), TSCNI_RUN_DIR: path.join(tmp, 'run') };

function cnitool(args, extra = {}) {
  const r = inNs(ns.host, [path.join(bin, 'cnitool'), ...args], { env: { ...env, ...extra } });
  if (r.status !== 0) throw new Error(`cnitool ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const SERVER = `require('net').createServer((s) => s.end('hello from web, you came from ' + s.remoteAddress.replace(/^::ffff:/, '') + '\\n')).listen(80, () => process.stdout.write('ready\\n'));`;
function request(from, host, port, dnsServer) {
  const connect = `const s=require('net').connect({host:h,port:+process.argv[2],timeout:3000});`;
  const code = `const go=(h)=>{${connect}let d='';s.on('data',x=>d+=x);s.on('end',()=>{process.stdout.write(d);process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(1)});s.on('error',e=>{console.log(e.message);process.exit(1)})};
    if(process.argv[3]){const r=new (require('dns').Resolver)();r.setServers([process.argv[3]]);r.resolve4(process.argv[1],(e,a)=>{if(e){console.log('cannot resolve '+process.argv[1]+': '+e.code);process.exit(1)}go(a[0])})}else go(process.argv[1]);`;
  const r = inNs(from, [process.execPath, '-e', code, host, String(port), ...(dnsServer ? [dnsServer] : [])]);
  return { ok: r.status === 0, text: r.stdout.trim() };
}

let server;
let failures = 0;
try {
  step(1, 'A throwaway "host" network namespace, with an uplink to an "outside" machine');
  for (const n of Object.values(ns)) ip('netns', 'add', n);
  ip('-n', ns.host, 'link', 'set', 'lo', 'up');
  ip('-n', ns.host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.outside);
  ip('-n', ns.host, 'addr', 'add', `${HOST_IP}/24`, 'dev', 'uplink');
  ip('-n', ns.host, 'link', 'set', 'uplink', 'up');
  ip('-n', ns.outside, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0');
  ip('-n', ns.outside, 'link', 'set', 'eth0', 'up');
  console.log(`   host ${ns.host} (uplink ${HOST_IP}), outside ${ns.outside} (${OUTSIDE_IP}), containers ${ns.web} and ${ns.client}`);

  step(2, `docker network create ${NET}  ≈  cnitool network create ${NET}`);
  const list = JSON.parse(cnitool(['network', 'create', '--json', '-o', `data_dir=${dataDir}`, NET]));
  const subnet = list.plugins[0].ipam.ranges[0][0].subnet;
  console.log(`   ${path.join(env.NETCONFPATH, `${NET}.conflist`)}: ${list.plugins.map((p) => p.type).join(' → ')}, subnet ${subnet} (the first free /24 of Docker's pools), bridge ${list.plugins[0].bridge}`);

  step(3, `docker run --name web -p 8080:80 web  ≈  cnitool add ${NET} /var/run/netns/${ns.web} with CAP_ARGS portMappings`);
  const caps = JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  const web = JSON.parse(cnitool(['add', NET, `/var/run/netns/${ns.web}`], { CAP_ARGS: caps, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web' }));
  console.log(JSON.stringify(web, null, 2).replace(/^/gm, '   '));
  const webIp = web.ips[0].address.split('/')[0];

  step(4, `docker run --name client client  ≈  cnitool add ${NET} /var/run/netns/${ns.client}`);
  const client = JSON.parse(cnitool(['add', NET, `/var/run/netns/${ns.client}`], { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=client' }));
  const clientIp = client.ips[0].address.split('/')[0];
  const gateway = client.ips[0].gateway;
  console.log(`   client got ${client.ips[0].address} on ${client.interfaces[2].name}, gateway ${gateway} on bridge ${client.interfaces[0].name}, DNS ${client.dns.nameservers.join(',')}`);

  step(5, 'A web server listens on port 80 inside the web container');
  server = spawn('ip', ['netns', 'exec', ns.web, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    server.stdout.on('data', (d) => String(d).includes('ready') && res());
    server.on('exit', () => rej(new Error('web server exited')));
  });

  step(6, 'Traffic');
  const checks = [
    ['client → web directly (same bridge, no NAT)', ns.client, webIp, 80, clientIp],
    ['client → "web" by name (dnsname on the gateway, Docker\'s embedded DNS)', ns.client, 'web', 80, clientIp, gateway],
    ['client → host:8080 (published port, hairpin through the host)', ns.client, HOST_IP, 8080, undefined],
    ['outside machine → host uplink:8080 (what -p is for)', ns.outside, HOST_IP, 8080, OUTSIDE_IP],
    ['the host itself → 127.0.0.1:8080', ns.host, '127.0.0.1', 8080, undefined],
    ['web → outside machine (masqueraded: the outside sees the host)', ns.web, OUTSIDE_IP, 9, undefined],
  ];
  let outsideServer;
  for (const [what, from, host, port, expectSrc, dnsServer] of checks) {
    if (port === 9) {
      outsideServer = spawn('ip', ['netns', 'exec', ns.outside, process.execPath, '-e', SERVER.replace('listen(80', 'listen(9').replace('hello from web', 'hello from outside')], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((res) => outsideServer.stdout.on('data', () => res()));
    }
    const r = request(from, host, port, dnsServer);
    const ok = r.ok && (!expectSrc || r.text.endsWith(expectSrc)) && (port !== 9 || r.text.endsWith(HOST_IP));
    if (!ok) failures++;
    console.log(`   ${ok ? 'ok  ' : 'FAIL'} ${what}\n        ${r.text}`);
  }
  outsideServer?.kill('SIGKILL');

  step(7, 'What the plugins put in the host (nftables; one element per container, no per-container rules)');
  for (const t of ['tscni_portmap', 'tscni_masq']) {
    const r = inNs(ns.host, ['nft', 'list', 'table', 'inet', t]);
    const lines = r.stdout.split('\n').filter((l) => /elements|comment "|dnat|masquerade/.test(l)).slice(0, 6);
    console.log(`   table inet ${t}:\n${lines.map((l) => `      ${l.trim()}`).join('\n')}`);
  }

  step(8, `docker network rm ${NET} is refused while containers are attached; docker rm  ≈  cnitool del`);
  const refused = inNs(ns.host, [path.join(bin, 'cnitool'), 'network', 'rm', NET], { env });
  console.log(`   cnitool network rm ${NET}: exit ${refused.status}: ${refused.stderr.trim()}`);
  if (refused.status !== 1) failures++;
  cnitool(['del', NET, `/var/run/netns/${ns.web}`]);
  cnitool(['del', NET, `/var/run/netns/${ns.client}`]);
  const veths = JSON.parse(inNs(ns.host, ['ip', '-j', 'link']).stdout).filter((l) => l.ifname.startsWith('veth')).length;
  const leases = fs.readdirSync(path.join(dataDir, 'networks', NET)).filter((f) => /^[0-9.]+$/.test(f)).length;
  const elements = inNs(ns.host, ['nft', 'list', 'table', 'inet', 'tscni_portmap']).stdout.includes(webIp);
  console.log(`   veths left on the host: ${veths}, leases left: ${leases}, port mapping left: ${elements ? 'yes' : 'no'}`);
  if (veths || leases || elements) failures++;

  step(9, `docker network rm ${NET}  ≈  cnitool network rm ${NET} (conflist, address store, DNS server, bridge, rules)`);
  cnitool(['network', 'rm', NET]);
  const bridgeLeft = JSON.parse(inNs(ns.host, ['ip', '-j', 'link']).stdout).some((l) => l.ifname === list.plugins[0].bridge);
  const fileLeft = fs.existsSync(path.join(env.NETCONFPATH, `${NET}.conflist`));
  const storeLeft = fs.existsSync(path.join(dataDir, 'networks', NET));
  const rulesLeft = inNs(ns.host, ['nft', 'list', 'ruleset']).stdout.includes(subnet);
  console.log(`   conflist left: ${fileLeft ? 'yes' : 'no'}, address store left: ${storeLeft ? 'yes' : 'no'}, bridge left: ${bridgeLeft ? 'yes' : 'no'}, rules naming ${subnet} left: ${rulesLeft ? 'yes' : 'no'}`);
  if (bridgeLeft || fileLeft || storeLeft || rulesLeft) failures++;
} catch (e) {
  failures++;
  console.error(`demo failed: ${e.message}`);
} finally {
  server?.kill('SIGKILL');
  for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n]);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`\n${bold(failures ? `demo finished with ${failures} failure(s)` : 'demo finished: everything worked, and every namespace, device and rule it made is gone')}`);
}
process.exit(failures ? 1 : 0);
