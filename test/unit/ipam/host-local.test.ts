import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { hostLocalAdd, hostLocalCheck, hostLocalDel, hostLocalGc, hostLocalStatus, type IpamRequest } from '../../../shared/ipam/host-local';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'thl-verbs-'));
  dirs.push(d);
  return d;
}
function req(dataDir: string, ipam: object, id = 'c1', ifname = 'eth0', extra: object = {}): IpamRequest {
  return {
    env: { containerId: id, ifname, args: '' },
    json: { cniVersion: '1.1.0', name: 'net', ipam: { type: 'host-local', dataDir, ...ipam }, ...extra },
    cniVersion: '1.1.0',
  };
}
function failure(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}
const leases = (d: string) => fs.readdirSync(path.join(d, 'net')).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.')).sort();
const dual = { ranges: [[{ subnet: '10.8.0.0/24' }], [{ subnet: 'fd00:8::/64' }]], routes: [{ dst: '0.0.0.0/0' }] };

describe('host-local verbs (in-process API)', () => {
  it('ADD gives one address per range set with gateways, routes and dns; DEL releases all', () => {
    const d = tmp();
    const rc = path.join(d, 'resolv.conf');
    fs.writeFileSync(rc, 'nameserver 10.8.0.53\nsearch example\n');
    const r = hostLocalAdd(req(d, { ...dual, resolvConf: rc }));
    expect(r).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.8.0.2/24', gateway: '10.8.0.1' },
        { address: 'fd00:8::2/64', gateway: 'fd00:8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: { nameservers: ['10.8.0.53'], search: ['example'] },
    });
    expect(leases(d)).toEqual(['10.8.0.2', 'fd00:8::2']);
    hostLocalCheck(req(d, dual));
    hostLocalDel(req(d, dual));
    expect(leases(d)).toEqual([]);
    hostLocalDel(req(d, dual)); // idempotent
    expect(failure(() => hostLocalCheck(req(d, dual))).message).toBe('host-local: Failed to find address added by container c1');
  });

  it('a failure in a later range set releases the earlier ones', () => {
    const d = tmp();
    const ipam = { ranges: [[{ subnet: '10.8.1.0/24' }], [{ subnet: '10.8.2.0/30' }]] };
    hostLocalAdd(req(d, ipam, 'a')); // takes the only address of set 1 (10.8.2.2)
    const e = failure(() => hostLocalAdd(req(d, ipam, 'b')));
    expect(e.code).toBe(110);
    expect(e.message).toBe('failed to allocate for range 1: no IP addresses available in range set: 10.8.2.1-10.8.2.2');
    expect(leases(d)).toEqual(['10.8.1.2', '10.8.2.2']);
  });

  it('bad input fails with its code and writes nothing', () => {
    const d = tmp();
    const cases: [object, number, RegExp][] = [
      [{ subnet: '10.9.0.1/24' }, 7, /host bits set/],
      [{ subnet: '10.9.0.0/32' }, 7, /too small/],
      [{ ranges: [[{ subnet: '10.9.0.0/24' }], [{ subnet: '10.9.0.0/25' }]] }, 7, /range set 0 overlaps with 1/],
      [{ subnet: '10.9.0.0/24', rangeStart: '10.9.1.1' }, 7, /RangeStart 10.9.1.1 not in network/],
      [{ subnet: '10.9.0.0/24', resolvConf: path.join(d, 'missing') }, 7, /resolvConf/],
    ];
    for (const [ipam, code, msg] of cases) {
      const e = failure(() => hostLocalAdd(req(d, ipam)));
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(msg)]);
    }
    const reqIp = (ips: string[]) => failure(() => hostLocalAdd(req(d, { subnet: '10.9.0.0/24' }, 'c1', 'eth0', { runtimeConfig: { ips } })));
    expect(reqIp(['10.10.0.5']).message).toMatch(/^failed to allocate all requested IPs: 10.10.0.5/);
    expect(reqIp(['10.9.0.5', '10.9.0.6']).message).toMatch(/^failed to allocate all requested IPs: 10.9.0.6/);
    expect(reqIp(['10.9.0.1']).message).toBe("failed to allocate for range 0: requested ip 10.9.0.1 is subnet's gateway");
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('DEL and CHECK match legacy id-only leases; leases made by others are found after a rescan', () => {
    const d = tmp();
    hostLocalAdd(req(d, dual, 'mine'));
    // Written behind our back, as the reference (or an older one) would.
    fs.writeFileSync(path.join(d, 'net', '10.8.0.50'), 'old');
    fs.writeFileSync(path.join(d, 'net', '10.8.0.51'), 'ref\r\neth1', { mode: 0o600 });
    hostLocalCheck(req(d, dual, 'old', 'eth9'));
    expect(failure(() => hostLocalAdd(req(d, dual, 'ref', 'eth1'))).message).toMatch(/10.8.0.51 has been allocated to ref, duplicate/);
    hostLocalDel(req(d, dual, 'old', 'eth9'));
    hostLocalDel(req(d, dual, 'ref', 'eth1'));
    expect(leases(d)).toEqual(['10.8.0.2', 'fd00:8::2']);
  });

  it('CHECK refuses a prevResult address that is not leased to the container', () => {
    const d = tmp();
    hostLocalAdd(req(d, dual, 'c1'));
    const prevResult = { cniVersion: '1.1.0', ips: [{ address: '10.8.0.9/24' }] };
    const r = { ...req(d, dual, 'c1'), prevResult };
    expect(failure(() => hostLocalCheck(r)).message).toMatch(/address 10.8.0.9 of prevResult is not leased to container c1/);
    hostLocalCheck({ ...r, prevResult: { cniVersion: '1.1.0', ips: [{ address: '10.8.0.2/24' }, { address: '192.0.2.1/24' }] } });
  });

  it('GC releases leases of attachments not listed, keeps lock and last_reserved_ip, removes garbage', () => {
    const d = tmp();
    for (const id of ['a', 'b', 'c']) hostLocalAdd(req(d, dual, id));
    fs.writeFileSync(path.join(d, 'net', '10.8.0.60'), '');
    fs.writeFileSync(path.join(d, 'net', '10.8.0.61'), 'a');
    fs.writeFileSync(path.join(d, 'net', '10.8.0.62'), 'gone');
    const valid = [
      { containerId: 'a', ifname: 'eth0' },
      { containerId: 'c', ifname: 'eth0' },
    ];
    hostLocalGc(req(d, dual), valid);
    expect(leases(d)).toEqual(['10.8.0.2', '10.8.0.4', '10.8.0.61', 'fd00:8::2', 'fd00:8::4']);
    expect(fs.readdirSync(path.join(d, 'net'))).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0', 'last_reserved_ip.1']));
    hostLocalCheck(req(d, dual, 'a'));
    expect(failure(() => hostLocalCheck(req(d, dual, 'b'))).code).toBe(3);
  });

  it('STATUS fails with 50 when a set is full or the store cannot be written, naming which', () => {
    const d = tmp();
    const ipam = { ranges: [[{ subnet: '10.8.3.0/24' }], [{ subnet: '10.8.4.0/30' }]] };
    hostLocalStatus(req(d, ipam));
    hostLocalAdd(req(d, ipam, 'a'));
    const full = failure(() => hostLocalStatus(req(d, ipam)));
    expect([full.code, full.message]).toEqual([50, 'host-local: no free address in range set 1: 10.8.4.1-10.8.4.2']);
    const file = path.join(d, 'not-a-dir');
    fs.writeFileSync(file, '');
    const ro = failure(() => hostLocalStatus(req(file, ipam)));
    expect(ro.code).toBe(50);
    expect(ro.message).toMatch(/not writable/);
  });

  it('does not follow symlinks planted in the store, and reports garbage instead of crashing', () => {
    const d = tmp();
    const ipam = { subnet: '10.8.5.0/29' };
    hostLocalAdd(req(d, ipam, 'a')); // creates the store; .2
    const outside = path.join(d, 'outside');
    fs.writeFileSync(outside, 'precious');
    fs.symlinkSync(outside, path.join(d, 'net', '10.8.5.3'));
    fs.rmSync(path.join(d, 'net', 'last_reserved_ip.0'));
    fs.symlinkSync(outside, path.join(d, 'net', 'last_reserved_ip.0'));
    fs.writeFileSync(path.join(d, 'net', '10.8.5.4'), Buffer.from([0xff, 0x00, 0x13]));
    const r = hostLocalAdd(req(d, ipam, 'b'));
    expect(r.ips![0]!.address).toBe('10.8.5.5/29');
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
    expect(fs.lstatSync(path.join(d, 'net', 'last_reserved_ip.0')).isFile()).toBe(true);
    hostLocalGc(req(d, ipam), [{ containerId: 'a', ifname: 'eth0' }, { containerId: 'b', ifname: 'eth0' }]);
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
    expect(leases(d)).toEqual(['10.8.5.2', '10.8.5.3', '10.8.5.5']);
  });

  it('a network name cannot reach outside dataDir', () => {
    const d = tmp();
    const r = req(d, { subnet: '10.8.6.0/24' });
    for (const name of ['..', '../x', 'a/b', '.hidden']) {
      const e = failure(() => hostLocalAdd({ ...r, json: { ...r.json, name } }));
      expect(e.code).toBe(7);
    }
    expect(fs.readdirSync(d)).toEqual([]);
  });
});

describe('host-local degraded and lenient paths', () => {
  it('DEL still releases when the ranges no longer validate', () => {
    const d = tmp();
    hostLocalAdd(req(d, { subnet: '10.8.7.0/24' }));
    expect(leases(d)).toEqual(['10.8.7.2']);
    hostLocalDel(req(d, { subnet: '10.8.7.0/31' }));
    expect(leases(d)).toEqual([]);
  });

  it('works without the owner index (".tscni" taken by a file), scanning instead', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, '.tscni'), 'not a directory');
    const ipam = { subnet: '10.8.8.0/24' };
    expect(hostLocalAdd(req(d, ipam, 'a')).ips![0]!.address).toBe('10.8.8.2/24');
    expect(hostLocalAdd(req(d, ipam, 'b')).ips![0]!.address).toBe('10.8.8.3/24');
    expect(failure(() => hostLocalAdd(req(d, ipam, 'a'))).code).toBe(111);
    fs.writeFileSync(path.join(d, 'net', '.tscni-tmp.999.dead'), 'a\r\neth0'); // left by a killed process
    hostLocalCheck(req(d, ipam, 'a'));
    hostLocalDel(req(d, ipam, 'a'));
    expect(fs.readdirSync(path.join(d, 'net')).sort()).toEqual(['10.8.8.3', 'last_reserved_ip.0', 'lock']);
  });
});
