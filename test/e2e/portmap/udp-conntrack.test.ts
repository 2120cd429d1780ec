// portmap ADD clears stale UDP conntrack entries of the ports it maps: a UDP flow that conntrack
// already sends to the old backend (the mapping's previous container) reaches the new one after
// ADD, with real datagrams from one fixed client port (so every request is the same flow).
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cniEnv, run } from '../../helpers/bins';
import { inNetns, leakedNetns } from '../../helpers/netns';
import { HOST_V4, World, type Container } from '../firewall/world';

const CLIENT_PORT = 41053;
// One datagram (resent until answered) from a fixed source port: the same 5-tuple every time.
const CLIENT = `
const dgram=require('dgram');const [host,port,src]=process.argv.slice(1);
const u=dgram.createSocket({type:'udp4',reuseAddr:true});
const done=(s)=>{process.stdout.write(s.trim());process.exit(0)};setTimeout(()=>done('ERR timeout'),3000);
u.on('message',m=>done(m.toString()));
u.bind(+src,()=>{const send=()=>u.send('x',+port,host);send();setInterval(send,300);});`;

function udpFromFixedPort(w: World, host: string, port: number): string {
  const r = spawnSync('ip', ['netns', 'exec', w.out, 'node', '-e', CLIENT, host, String(port), String(CLIENT_PORT)], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout ?? '').trim() || `ERR ${r.stderr}`;
}

describe.each(['nftables', 'iptables'])('portmap UDP conntrack flush (%s)', (backend) => {
  let w: World;
  let c1: Container;
  let c2: Container;
  beforeEach(() => {
    w = new World('tct');
    c1 = w.addContainer();
    c2 = w.addContainer();
    w.serve(c1.name, 'c1', [53]);
    w.serve(c2.name, 'c2', [53]);
  });
  afterEach(() => {
    w?.destroy();
    expect(leakedNetns().filter((n) => n.startsWith('tct') || n.startsWith('tfw'))).toEqual([]);
  });

  const conf = (c: Container) => ({
    cniVersion: '1.1.0',
    name: 'tctnet',
    type: 'portmap',
    backend,
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [{ hostPort: 5353, containerPort: 53, protocol: 'udp' }] },
    prevResult: w.prevResult(c, [4]),
  });
  const pm = (cmd: string, c: Container) => run('portmap', { netns: w.host, env: cniEnv(cmd, { CNI_CONTAINERID: c.name, CNI_NETNS: c.path, CNI_IFNAME: 'eth0' }), stdin: conf(c) });
  const flows = (): string => inNetns(w.host, ['conntrack', '-L', '-p', 'udp', '--orig-port-dst', '5353'], { allowFail: true });

  it('a flow DNATed to the old container goes to the new one after ADD', () => {
    expect(pm('ADD', c1).code).toBe(0);
    expect(udpFromFixedPort(w, HOST_V4, 5353)).toMatch(/^c1 /);
    // The mapping moves to c2: DEL of c1 removes its rule but not the kernel's flow, which
    // still carries the datagrams to c1 (the stale state ADD must clear).
    expect(pm('DEL', c1).code).toBe(0);
    expect(flows()).toContain(`dport=${CLIENT_PORT}`);
    expect(udpFromFixedPort(w, HOST_V4, 5353)).toMatch(/^c1 /);
    const r = pm('ADD', c2);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(udpFromFixedPort(w, HOST_V4, 5353)).toMatch(/^c2 /);
    expect(pm('DEL', c2).code).toBe(0);
  });
});
