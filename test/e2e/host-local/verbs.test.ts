// The built host-local executable, every verb, dual-stack, run inside a throwaway host netns.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cniVars, conf, dualStack, ipam, leases, hostLab } from './helpers';

let host: string;
const data = hostLab((h) => (host = h));
const ours = (cmd: string, id: string, stdin: object, extra: Record<string, string> = {}) => ipam('ours', host, cniVars(cmd, id, 'eth0', extra), stdin);

describe('host-local e2e: dual-stack verbs', () => {
  it('ADD / CHECK / DEL / GC / STATUS at 1.1.0', () => {
    const d = data();
    const rc = path.join(d, 'resolv.conf');
    fs.writeFileSync(rc, 'nameserver 10.77.0.53\ndomain thl.example\n');
    const c = conf(d, { ...dualStack, resolvConf: rc }, '1.1.0');
    const add = ours('ADD', 'ctr1', c);
    expect(add.code, add.stdout + add.stderr).toBe(0);
    expect(add.json).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.77.0.2/24', gateway: '10.77.0.1' },
        { address: 'fd00:77::2/64', gateway: 'fd00:77::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      dns: { nameservers: ['10.77.0.53'], domain: 'thl.example' },
    });
    expect(leases(d)).toEqual({ '10.77.0.2': 'ctr1\r\neth0', 'fd00:77::2': 'ctr1\r\neth0' });
    expect(fs.readFileSync(path.join(d, 'thlnet', 'last_reserved_ip.1'), 'utf8')).toBe('fd00:77::2');
    expect(fs.statSync(path.join(d, 'thlnet', 'fd00:77::2')).mode & 0o777).toBe(0o600);

    expect(ours('CHECK', 'ctr1', { ...c, prevResult: add.json }).code).toBe(0);
    const missing = ours('CHECK', 'nobody', c);
    expect([missing.code, missing.json.msg]).toEqual([1, 'host-local: Failed to find address added by container nobody']);

    expect(ours('ADD', 'ctr2', c).json.ips[0].address).toBe('10.77.0.3/24');
    const status = ipam('ours', host, { ...cniVars('STATUS', 'x'), CNI_CONTAINERID: '' }, c);
    expect(status.code, status.stdout).toBe(0);

    const gc = ipam('ours', host, cniVars('GC', 'x'), { ...c, 'cni.dev/valid-attachments': [{ containerID: 'ctr2', ifname: 'eth0' }] });
    expect(gc.code, gc.stdout).toBe(0);
    expect(Object.keys(leases(d))).toEqual(['10.77.0.3', 'fd00:77::3']);

    expect(ours('DEL', 'ctr2', c).code).toBe(0);
    expect(ours('DEL', 'ctr2', c).code).toBe(0);
    expect(leases(d)).toEqual({});
    expect(fs.readdirSync(path.join(d, 'thlnet')).sort()).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
  });

  it('prints results in the shape of each config version', () => {
    const d = data();
    const v04 = ours('ADD', 'a', conf(d, dualStack, '0.4.0'));
    expect(v04.json.ips.map((i: any) => i.version)).toEqual(['4', '6']);
    const v02 = ours('ADD', 'b', conf(d, { subnet: '10.77.0.0/24', ranges: [[{ subnet: 'fd00:77::/64' }]] }, '0.2.0'));
    expect(v02.json).toEqual({ cniVersion: '0.2.0', ip4: { ip: '10.77.0.3/24', gateway: '10.77.0.1' }, ip6: { ip: 'fd00:77::3/64', gateway: 'fd00:77::1' } });
  });

  it('STATUS says 50 when a range set is full, GC/STATUS need 1.1.0', () => {
    const d = data();
    const c = conf(d, { ranges: [[{ subnet: '10.77.1.0/30' }]] }, '1.1.0');
    expect(ours('ADD', 'only', c).code).toBe(0);
    const st = ipam('ours', host, cniVars('STATUS', 'x'), c);
    expect([st.code, st.json.code, st.json.msg]).toEqual([1, 50, 'host-local: no free address in range set 0: 10.77.1.1-10.77.1.2']);
    const full = ours('ADD', 'next', c);
    expect([full.json.code, full.json.msg]).toEqual([110, 'failed to allocate for range 0: no IP addresses available in range set: 10.77.1.1-10.77.1.2']);
    const old = ipam('ours', host, cniVars('STATUS', 'x'), { ...c, cniVersion: '1.0.0' });
    expect(old.json.code).toBe(1);
  });

  it('requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips are honoured or refused clearly', () => {
    const d = data();
    const c = conf(d, dualStack);
    const a = ours('ADD', 'a', { ...c, args: { cni: { ips: ['fd00:77::99'] } } }, { CNI_ARGS: 'IgnoreUnknown=1;IP=10.77.0.77' });
    expect(a.json.ips.map((i: any) => i.address)).toEqual(['10.77.0.77/24', 'fd00:77::99/64']);
    const taken = ours('ADD', 'b', { ...c, runtimeConfig: { ips: ['10.77.0.77'] } });
    expect([taken.json.code, taken.json.msg]).toEqual([111, 'failed to allocate for range 0: requested IP address 10.77.0.77 is not available in range set 10.77.0.1-10.77.0.254']);
    const dup = ours('ADD', 'a', c);
    expect([dup.json.code, dup.json.msg]).toEqual([111, 'failed to allocate for range 0: 10.77.0.77 has been allocated to a, duplicate allocation is not allowed']);
    expect(Object.keys(leases(d))).toEqual(['10.77.0.77', 'fd00:77::99']);
    expect(ours('ADD', 'c', c).json.ips[0].address).toBe('10.77.0.78/24');
  });

  it('bad input: each validation error has its code and message, and nothing is written', () => {
    const d = data();
    const cases: [object, Record<string, string>, number, string | RegExp][] = [
      [conf(d, { subnet: '10.77.0.5/24' }), {}, 7, 'invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.77.0.0'],
      [conf(d, { subnet: '10.77.0.0/31' }), {}, 7, 'invalid range set 0: Network 10.77.0.0/31 too small to allocate from'],
      [conf(d, { subnet: '10.77.0.0/32' }), {}, 7, 'invalid range set 0: Network 10.77.0.0/32 too small to allocate from'],
      [conf(d, { ranges: [[{ subnet: 'fd00::/127' }]] }), {}, 7, 'invalid range set 0: Network fd00::/127 too small to allocate from'],
      [conf(d, { ranges: [[{ subnet: 'fd00::/128' }]] }), {}, 7, 'invalid range set 0: Network fd00::/128 too small to allocate from'],
      [conf(d, { subnet: '10.77.0.0/24', rangeStart: '10.78.0.1' }), {}, 7, 'invalid range set 0: RangeStart 10.78.0.1 not in network 10.77.0.0/24'],
      [conf(d, { subnet: '10.77.0.0/24', rangeEnd: '10.78.0.1' }), {}, 7, 'invalid range set 0: RangeEnd 10.78.0.1 not in network 10.77.0.0/24'],
      [conf(d, { ranges: [[{ subnet: '10.77.0.0/24' }, { subnet: '10.77.0.0/25' }]] }), {}, 7, /^invalid range set 0: subnets .* overlap$/],
      [conf(d, { ranges: [[{ subnet: '10.77.0.0/16' }], [{ subnet: '10.77.3.0/24' }]] }), {}, 7, 'range set 0 overlaps with 1'],
      [conf(d, { ranges: [[{ subnet: '10.77.0.0/24' }, { subnet: 'fd00::/64' }]] }), {}, 7, 'invalid range set 0: mixed address families'],
      [conf(d, { type: 'host-local' }), {}, 7, /^no IP ranges specified/],
      [{ cniVersion: '1.0.0', name: 'thlnet' }, {}, 7, "IPAM config missing 'ipam' key"],
      [conf(d, { subnet: '10.77.0.0/24' }), { CNI_ARGS: 'IP=10.77.0.300' }, 4, /CNI_ARGS IP/],
      [conf(d, { subnet: '10.77.0.0/24' }), { CNI_ARGS: 'IP=10.99.0.3' }, 7, /^failed to allocate all requested IPs: 10.99.0.3/],
      [conf(d, { subnet: '10.77.0.0/24' }), { CNI_ARGS: 'IP=10.77.0.1' }, 7, "failed to allocate for range 0: requested ip 10.77.0.1 is subnet's gateway"],
      [{ ...conf(d, { subnet: '10.77.0.0/24' }), name: '../escape' }, {}, 7, /invalid characters found in network name/],
    ];
    for (const [stdin, extra, code, msg] of cases) {
      const r = ours('ADD', 'bad', stdin, extra);
      expect(r.code, JSON.stringify(stdin)).toBe(1);
      expect(r.json.code, r.stdout).toBe(code);
      if (typeof msg === 'string') expect(r.json.msg).toBe(msg);
      else expect(r.json.msg).toMatch(msg);
    }
    expect(fs.readdirSync(d)).toEqual([]);
    expect(fs.existsSync(path.join(path.dirname(d), 'escape'))).toBe(false);
  });
});
