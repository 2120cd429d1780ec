import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCniArgs } from '../../../shared/cni/args';
import { CniError } from '../../../shared/cni/error';
import { loadIpamConfig } from '../../../shared/ipam/config';
import { formatIp } from '../../../shared/cni/ip';
import { rangeSetString } from '../../../shared/ipam/range';
import { parseResolvConf, readResolvConf } from '../../../shared/ipam/resolv-conf';

const load = (json: object, args = '') => loadIpamConfig(json as Record<string, unknown>, parseCniArgs(args));
function failure(fn: () => unknown): { code: number; msg: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return { code: e.code, msg: e.message };
    throw e;
  }
  throw new Error('expected a failure');
}

describe('host-local config', () => {
  it('orders range sets: runtime ipRanges, legacy subnet, then ranges', () => {
    const c = load({
      cniVersion: '1.0.0',
      name: 'n',
      ipam: { type: 'host-local', subnet: '10.1.0.0/24', ranges: [[{ subnet: '10.2.0.0/24' }], [{ subnet: 'fd00:2::/64' }]] },
      runtimeConfig: { ipRanges: [[{ subnet: '10.3.0.0/24' }]] },
    });
    expect(c.rangeSets.map(rangeSetString)).toEqual(['10.3.0.1-10.3.0.254', '10.1.0.1-10.1.0.254', '10.2.0.1-10.2.0.254', 'fd00:2::1-fd00:2::ffff:ffff:ffff:ffff']);
    expect(c.dataDir).toBe('/var/lib/cni/networks');
  });

  it('merges requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips, without duplicates', () => {
    const c = load(
      {
        cniVersion: '1.0.0',
        name: 'n',
        ipam: { subnet: '10.1.0.0/24' },
        args: { cni: { ips: ['10.1.0.9/24', 'fd00::9'] } },
        runtimeConfig: { ips: ['10.1.0.10', '10.1.0.9'] },
      },
      'IgnoreUnknown=1;IP=10.1.0.8;K8S_POD_NAME=x',
    );
    expect(c.requested.map(formatIp)).toEqual(['10.1.0.8', '10.1.0.9', 'fd00::9', '10.1.0.10']);
  });

  it('returns code 7 naming the problem for every invalid config', () => {
    const base = { cniVersion: '1.0.0', name: 'n' };
    expect(failure(() => load({ ...base }))).toEqual({ code: 7, msg: "IPAM config missing 'ipam' key" });
    expect(failure(() => load({ ...base, ipam: { type: 'host-local' } })).msg).toMatch(/^no IP ranges specified/);
    expect(failure(() => load({ ...base, ipam: { subnet: '10.0.0.0/31' } }))).toEqual({ code: 7, msg: 'invalid range set 0: Network 10.0.0.0/31 too small to allocate from' });
    expect(failure(() => load({ ...base, ipam: { ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/16' }]] } }))).toEqual({ code: 7, msg: 'range set 0 overlaps with 1' });
    expect(failure(() => load({ cniVersion: '0.2.0', name: 'n', ipam: { ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.1.0.0/24' }]] } })).msg).toBe(
      'CNI version 0.2.0 does not support more than 1 address per family',
    );
    expect(failure(() => load({ ...base, ipam: { ranges: [[{ rangeStart: '10.0.0.1' }]] } })).msg).toMatch(/field "ipam.ranges\[0\]\[0\].subnet"/);
    expect(failure(() => load({ ...base, ipam: { subnet: '10.0.0.0/24', routes: [{ dst: 'nope' }] } })).msg).toMatch(/ipam.routes\[0\].dst/);
    expect(failure(() => load({ ...base, ipam: { subnet: '10.0.0.0/24' }, runtimeConfig: { ips: ['bogus'] } })).msg).toMatch(/runtimeConfig.ips\[0\]/);
    expect(failure(() => load({ ...base, ipam: { subnet: '10.0.0.0/24' } }, 'IP=bogus'))).toMatchObject({ code: 4 });
    expect(failure(() => load({ ...base, ipam: { subnet: '10.0.0.0/24' } }, 'FOO=1'))).toMatchObject({ code: 4 });
  });
});

describe('resolvConf', () => {
  it('parses like the reference: comments, short lines, last domain wins', () => {
    expect(parseResolvConf('# c\n; c\nnameserver 1.1.1.1\nnameserver  fd00::53 \ndomain a.example\ndomain b.example\nsearch x y\nsearch z\noptions ndots:2 edns0\nbogus\nnameserver\n')).toEqual({
      nameservers: ['1.1.1.1', 'fd00::53'],
      domain: 'b.example',
      search: ['x', 'y', 'z'],
      options: ['ndots:2', 'edns0'],
    });
  });
  it('reads a file, and a missing one is a config error naming it', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'thl-')), 'resolv.conf');
    fs.writeFileSync(f, 'nameserver 10.0.0.53\n');
    expect(readResolvConf(f)).toEqual({ nameservers: ['10.0.0.53'] });
    expect(failure(() => readResolvConf(f + '.missing')).msg).toContain('resolvConf');
    fs.rmSync(path.dirname(f), { recursive: true });
  });
});
