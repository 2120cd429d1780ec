// A throwaway "host" netns with a bridge (10.88.0.1/24, fd88::1/64), an "outside" netns on a
// veth (host 192.168.77.1 / fd77::1, outside .2 / ::2), and containers on the bridge; plus TCP/UDP
// servers and clients run with Node inside them. Everything is removed by destroy().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createNetns, deleteNetns, inNetns, netnsPath, sh } from '../../helpers/netns';

export const HOST_V4 = '192.168.77.1';
export const HOST_V6 = 'fd77::1';
export const OUT_V4 = '192.168.77.2';
export const OUT_V6 = 'fd77::2';
export const BR_V4 = '10.88.0.1';

export interface Container {
  name: string;
  path: string;
  v4: string;
  v6: string;
  hostVeth: string;
}

const SERVER = `
const net=require('net'),dgram=require('dgram');const [name,...ports]=process.argv.slice(1);
for(const p of ports.map(Number)){
 for(const h of ['0.0.0.0','::']){
  net.createServer({},s=>{s.end(name+' '+s.remoteAddress.replace('::ffff:','')+' '+s.localPort+'\\n')}).listen({port:p,host:h,ipv6Only:h==='::'});
  const u=dgram.createSocket(h==='::'?{type:'udp6',ipv6Only:true}:{type:'udp4'});u.on('message',(m,r)=>u.send(name+' '+r.address.replace('::ffff:','')+' '+p+'\\n',r.port,r.address));u.bind(p,h);
 }
}
setTimeout(()=>console.log('ready'),50);`;

const CLIENT = `
const net=require('net'),dgram=require('dgram');const [proto,host,port]=process.argv.slice(1);
const done=(s)=>{process.stdout.write(s.trim());process.exit(0)};setTimeout(()=>done('ERR timeout'),2000);
if(proto==='tcp'){const c=net.connect({host,port:+port},()=>{});let b='';c.on('data',d=>b+=d);c.on('end',()=>done(b));c.on('error',e=>done('ERR '+e.code));}
else{const u=dgram.createSocket(host.includes(':')?'udp6':'udp4');u.on('message',m=>done(m.toString()));const send=()=>u.send('x',+port,host);send();setInterval(send,300);}`;

function waitNoTentative(netns: string, dev: string): void {
  for (let i = 0; i < 60; i++) {
    if (inNetns(netns, ['ip', '-6', 'addr', 'show', 'dev', dev, 'tentative']).trim() === '') return;
    spawnSync('sleep', ['0.05']);
  }
}

export class World {
  readonly host: string;
  readonly out: string;
  readonly containers: Container[] = [];
  private servers: ChildProcess[] = [];

  constructor(prefix = 'tfw') {
    this.host = createNetns(prefix);
    this.out = createNetns(prefix);
    const h = (...a: string[]): string => inNetns(this.host, a);
    for (const k of ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding']) h('sh', '-c', `echo 1 > /proc/sys/${k}`);
    h('ip', 'link', 'add', 'br0', 'type', 'bridge');
    h('ip', 'addr', 'add', `${BR_V4}/24`, 'dev', 'br0');
    h('ip', 'addr', 'add', 'fd88::1/64', 'dev', 'br0', 'nodad');
    h('ip', 'link', 'set', 'br0', 'up');
    h('ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out);
    h('ip', 'addr', 'add', `${HOST_V4}/24`, 'dev', 'up0');
    h('ip', 'addr', 'add', `${HOST_V6}/64`, 'dev', 'up0', 'nodad');
    h('ip', 'link', 'set', 'up0', 'up');
    const o = (...a: string[]): string => inNetns(this.out, a);
    o('ip', 'addr', 'add', `${OUT_V4}/24`, 'dev', 'eth0');
    o('ip', 'addr', 'add', `${OUT_V6}/64`, 'dev', 'eth0', 'nodad');
    o('ip', 'link', 'set', 'eth0', 'up');
  }

  /** Lets the outside reach the container subnets directly (to see un-NATed sources). */
  routeOutsideToContainers(): void {
    inNetns(this.out, ['ip', 'route', 'add', '10.88.0.0/24', 'via', HOST_V4]);
    inNetns(this.out, ['ip', '-6', 'route', 'add', 'fd88::/64', 'via', HOST_V6]);
  }

  addContainer(): Container {
    const n = this.containers.length + 2;
    const name = createNetns('tfw');
    const hostVeth = `vc${n}`;
    sh(['ip', '-n', this.host, 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    sh(['ip', '-n', this.host, 'link', 'set', hostVeth, 'master', 'br0', 'up']);
    // bridge hairpinMode: with br_netfilter the DNATed hairpin frame is bridged back out of the
    // port it came from, which the bridge only allows in hairpin mode.
    sh(['ip', '-n', this.host, 'link', 'set', hostVeth, 'type', 'bridge_slave', 'hairpin', 'on']);
    const c: Container = { name, path: netnsPath(name), v4: `10.88.0.${n}`, v6: `fd88::${n}`, hostVeth };
    const x = (...a: string[]): string => inNetns(name, a);
    x('ip', 'addr', 'add', `${c.v4}/24`, 'dev', 'eth0');
    x('ip', 'addr', 'add', `${c.v6}/64`, 'dev', 'eth0', 'nodad');
    x('ip', 'link', 'set', 'eth0', 'up');
    x('ip', 'route', 'add', 'default', 'via', BR_V4);
    x('ip', '-6', 'route', 'add', 'default', 'via', 'fd88::1');
    // The first IPv6 flow is lost while a link-local address is still tentative (DAD), so wait
    // for DAD on both sides of the new link before any test sends traffic.
    waitNoTentative(name, 'eth0');
    waitNoTentative(this.host, 'br0');
    this.containers.push(c);
    return c;
  }

  /** A prevResult as bridge would return it for this container. */
  prevResult(c: Container, families: (4 | 6)[] = [4, 6]): Record<string, unknown> {
    const ips = [];
    if (families.includes(4)) ips.push({ address: `${c.v4}/24`, gateway: BR_V4, interface: 2 });
    if (families.includes(6)) ips.push({ address: `${c.v6}/64`, gateway: 'fd88::1', interface: 2 });
    return {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'br0', mac: '02:00:00:00:00:01' }, { name: c.hostVeth, mac: '02:00:00:00:00:02' }, { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: c.path }],
      ips,
      routes: [{ dst: '0.0.0.0/0' }],
    };
  }

  /** Starts TCP+UDP servers (v4 and v6) answering "<name> <peer address> <port>". */
  serve(netns: string, name: string, ports: number[]): void {
    const p = spawn('ip', ['netns', 'exec', netns, 'node', '-e', SERVER, name, ...ports.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.servers.push(p);
    // Wait (synchronously, bounded) until the sockets are bound.
    const want = ports.map((port) => `:${port} `);
    for (let i = 0; i < 100; i++) {
      const ss = inNetns(netns, ['ss', '-lntuH']);
      if (want.every((w) => ss.includes(w))) return;
      spawnSync('sleep', ['0.05']);
    }
    throw new Error(`servers in ${netns} did not start`);
  }

  /** One request from netns: the server's answer, or "ERR <code>". */
  request(netns: string, proto: 'tcp' | 'udp', host: string, port: number): string {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'node', '-e', CLIENT, proto, host, String(port)], { encoding: 'utf8', timeout: 10_000 });
    return (r.stdout ?? '').trim() || `ERR ${r.stderr}`;
  }

  destroy(): void {
    for (const s of this.servers) s.kill('SIGKILL');
    for (const c of this.containers) deleteNetns(c.name);
    deleteNetns(this.out);
    deleteNetns(this.host);
  }
}

/** nft ruleset (JSON, element lists sorted, handles dropped) for comparisons. */
export function nftDump(netns: string): string {
  const j = JSON.parse(inNetns(netns, ['nft', '-j', 'list', 'ruleset']));
  const items = (j.nftables as any[]).filter((o) => !o.metainfo).map((o) => {
    const v = JSON.parse(JSON.stringify(o));
    const inner = Object.values(v)[0] as any;
    delete inner.handle;
    if (Array.isArray(inner.elem)) inner.elem = inner.elem.map((e: unknown) => JSON.stringify(e)).sort();
    return JSON.stringify(v);
  });
  return items.sort().join('\n');
}

/** iptables-save of both families' nat tables without counters and timestamps. */
export function iptDump(netns: string): string {
  return ['iptables-save', 'ip6tables-save']
    .map((t) => inNetns(netns, [t, '-t', 'nat']).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n'))
    .join('\n---\n');
}
