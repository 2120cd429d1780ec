// Ours and the reference host-local (/usr/lib/cni, 1.1.1) on one store: same addresses for the
// same sequence, each releases the other's leases, and racing each other never shares an address.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REF, cniVars, conf, hasRef, ipam, leases, ours, start, hostLab } from './helpers';
import { skipWithout } from '../../helpers/prereq';

let host: string;
const data = hostLab((h) => (host = h));
const ipamConf = {
  ranges: [
    [
      { subnet: '10.79.0.0/29', rangeStart: '10.79.0.3' },
      { subnet: '10.79.1.0/29', gateway: '10.79.1.3' },
    ],
    [{ subnet: 'fd00:79::/125' }],
  ],
};

type Step = [cmd: 'ADD' | 'DEL', id: string, cniArgs?: string];
const SEQUENCE: Step[] = [
  ['ADD', 'a'], ['ADD', 'b'], ['ADD', 'c', 'IgnoreUnknown=1;IP=10.79.1.2'], ['ADD', 'd'], ['DEL', 'b'], ['ADD', 'e'],
  ['ADD', 'f'], ['ADD', 'g'], ['DEL', 'a'], ['ADD', 'h'], ['ADD', 'i'], ['ADD', 'j'], ['DEL', 'e'], ['ADD', 'k'],
];

describe.skipIf(skipWithout('host-local interop', hasRef ? undefined : 'the reference plugins are not in /usr/lib/cni (Debian package containernetworking-plugins; npm test installs it)'))('host-local e2e: interop with the reference plugin', () => {
  it('the same sequence of ADDs and DELs gives the same addresses and the same store bytes', () => {
    const mine = data();
    const theirs = data();
    for (const [cmd, id, args] of SEQUENCE) {
      const extra: Record<string, string> = args ? { CNI_ARGS: args } : {};
      const a = ipam('ours', host, cniVars(cmd, id, 'eth0', extra), conf(mine, ipamConf));
      const b = ipam('ref', host, cniVars(cmd, id, 'eth0', extra), conf(theirs, ipamConf));
      expect([cmd, id, a.code], a.stdout).toEqual([cmd, id, b.code]);
      if (cmd === 'ADD' && b.code === 0) expect(a.json.ips, id).toEqual(b.json.ips);
      // Failures: same message; the reference's code is always 999, ours says what happened.
      if (b.code !== 0) expect([a.json.msg, a.json.code]).toEqual([b.json.msg, 110]);
    }
    // The store holds the same names and bytes (modes differ: 1.1.1 wrote 0644, we and HEAD 0600).
    const files = (d: string) =>
      Object.fromEntries(
        fs
          .readdirSync(path.join(d, 'thlnet'))
          .sort()
          .map((n) => [n, fs.readFileSync(path.join(d, 'thlnet', n), 'utf8')]),
      );
    expect(files(mine)).toEqual(files(theirs));
    expect(Object.keys(leases(mine)).length).toBeGreaterThan(10);
  });

  it('leases made by one are checked and released by the other', () => {
    const d = data();
    const c = conf(d, { ranges: [[{ subnet: '10.79.2.0/24' }], [{ subnet: 'fd00:79:2::/64' }]] });
    expect(ipam('ours', host, cniVars('ADD', 'by-ours'), c).code).toBe(0);
    expect(ipam('ref', host, cniVars('ADD', 'by-ref'), c).code).toBe(0);
    expect(Object.values(leases(d))).toEqual(['by-ours\r\neth0', 'by-ref\r\neth0', 'by-ours\r\neth0', 'by-ref\r\neth0']);
    expect(ipam('ref', host, cniVars('CHECK', 'by-ours'), c).code).toBe(0);
    expect(ipam('ours', host, cniVars('CHECK', 'by-ref'), c).code).toBe(0);
    // Ours refuses a second ADD for the reference's (id, ifname), as the reference would.
    expect(ipam('ours', host, cniVars('ADD', 'by-ref'), c).json.code).toBe(111);
    expect(ipam('ref', host, cniVars('DEL', 'by-ours'), c).code).toBe(0);
    expect(ipam('ours', host, cniVars('DEL', 'by-ref'), c).code).toBe(0);
    expect(leases(d)).toEqual({});
    // And our index does not believe in the lease the reference released.
    expect(ipam('ours', host, cniVars('CHECK', 'by-ours'), c).code).toBe(1);
    const again = ipam('ours', host, cniVars('ADD', 'by-ours'), c);
    expect(again.code, again.stdout).toBe(0);
  });

  it('both running concurrently never hand out the same address', async () => {
    const d = data();
    const c = conf(d, { ranges: [[{ subnet: '10.79.3.0/24' }], [{ subnet: 'fd00:79:3::/64' }]] });
    const runs = Array.from({ length: 40 }, (_, i) => start(i % 2 ? REF : ours(), host, cniVars('ADD', `mix${i}`), c));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const fam of [0, 1]) expect(new Set(results.map((r) => r.json.ips[fam].address)).size).toBe(40);
    const l = leases(d);
    expect(Object.keys(l)).toHaveLength(80);
    results.forEach((r, i) => expect(l[r.json.ips[0].address.split('/')[0]]).toBe(`mix${i}\r\neth0`));
    // Mixed DELs, also concurrent, leave the store empty.
    const dels = Array.from({ length: 40 }, (_, i) => start(i % 3 ? REF : ours(), host, cniVars('DEL', `mix${i}`), c));
    for (const r of await Promise.all(dels.map((x) => x.done))) expect(r.code, r.stdout).toBe(0);
    expect(leases(d)).toEqual({});
  }, 120_000);
});
