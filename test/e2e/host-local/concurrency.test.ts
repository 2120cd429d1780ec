// Many host-local processes on one store: parallel ADDs, kill -9 in the middle of a burst.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cniVars, conf, ipam, leases, ours, start, hostLab } from './helpers';

let host: string;
const data = hostLab((h) => (host = h));

/** Every lease is whole, no address or owner appears twice, and the owners are the expected kind. */
function assertConsistent(d: string, idPattern: RegExp): Record<string, string> {
  const l = leases(d);
  const byOwnerFamily = new Map<string, string>();
  for (const [ip, body] of Object.entries(l)) {
    expect(body, `lease ${ip}`).toMatch(new RegExp(`^${idPattern.source}\\r\\neth0$`));
    const key = `${body}|${ip.includes(':') ? 6 : 4}`;
    expect(byOwnerFamily.has(key), `${body} holds two addresses`).toBe(false);
    byOwnerFamily.set(key, ip);
  }
  return l;
}

describe('host-local e2e: concurrency', () => {
  it('50 ADDs in parallel give 50 distinct addresses', async () => {
    const d = data();
    const c = conf(d, { ranges: [[{ subnet: '10.78.0.0/24' }], [{ subnet: 'fd00:78::/64' }]] });
    const runs = Array.from({ length: 50 }, (_, i) => start(ours(), host, cniVars('ADD', `par${i}`), c));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    const v4 = results.map((r) => r.json.ips[0].address);
    const v6 = results.map((r) => r.json.ips[1].address);
    expect(new Set(v4).size).toBe(50);
    expect(new Set(v6).size).toBe(50);
    const l = assertConsistent(d, /par\d+/);
    expect(Object.keys(l)).toHaveLength(100);
    // The store says exactly what the processes printed.
    results.forEach((r, i) => expect(l[r.json.ips[0].address.split('/')[0]]).toBe(`par${i}\r\neth0`));
  }, 120_000);

  it('kill -9 during a burst leaves whole leases only, and every one can be released', async () => {
    const d = data();
    const c = conf(d, { ranges: [[{ subnet: '10.78.1.0/24' }], [{ subnet: 'fd00:78:1::/64' }]] });
    const runs = Array.from({ length: 30 }, (_, i) => start(ours(), host, cniVars('ADD', `k${i}`), c));
    // Kill every other process at staggered moments: before start-up, mid-allocation, after.
    await Promise.all(
      runs.map(
        (r, i) =>
          new Promise<void>((resolve) => {
            if (i % 2) return resolve();
            setTimeout(() => {
              // `ip netns exec` execs the plugin, so this pid is the plugin itself.
              r.child.kill('SIGKILL');
              resolve();
            }, (i * 17) % 300);
          }),
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    results.forEach((r, i) => {
      if (i % 2) expect(r.code, r.stdout + r.stderr).toBe(0);
    });
    const before = assertConsistent(d, /k\d+/);
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(30);
    // A later ADD works and gets a fresh address; DEL of every id empties the store.
    const after = ipam('ours', host, cniVars('ADD', 'late'), c);
    expect(after.code, after.stdout).toBe(0);
    expect(Object.keys(before)).not.toContain(after.json.ips[0].address.split('/')[0]);
    for (const id of [...results.keys()].map((i) => `k${i}`).concat('late')) {
      const r = ipam('ours', host, cniVars('DEL', id), c);
      expect(r.code, r.stdout).toBe(0);
    }
    expect(leases(d)).toEqual({});
    // No temp file survives either (they would only be leftovers of killed processes).
    expect(fs.readdirSync(path.join(d, '.tscni', 'thlnet', 'tmp'))).toEqual([]);
  }, 120_000);
});

describe('host-local e2e: a crash at each write leaves a whole lease or none', () => {
  for (const point of ['before-link', 'after-link', 'after-marker']) {
    it(`killed ${point}`, () => {
      const d = data();
      const c = conf(d, { ranges: [[{ subnet: '10.78.2.0/24' }], [{ subnet: 'fd00:78:2::/64' }]] });
      expect(ipam('ours', host, cniVars('ADD', 'first'), c).code).toBe(0);
      const killed = ipam('ours', host, cniVars('ADD', 'victim', 'eth0', { TSCNI_TEST_CRASH: point }), c);
      expect(killed.code).not.toBe(0);
      const l = assertConsistent(d, /(first|victim)/);
      const victim = Object.keys(l).filter((ip) => l[ip] === 'victim\r\neth0');
      // The crash happens in the first range set: its lease is there once linked, never half.
      expect(victim).toEqual(point === 'before-link' ? [] : ['10.78.2.3']);
      // The next ADD does not reuse it; CHECK sees it; DEL releases it; nothing is left over.
      const next = ipam('ours', host, cniVars('ADD', 'next'), c);
      expect(next.json.ips[0].address).toBe(point === 'before-link' ? '10.78.2.3/24' : '10.78.2.4/24');
      expect(ipam('ours', host, cniVars('CHECK', 'victim'), c).code).toBe(point === 'before-link' ? 1 : 0);
      for (const id of ['first', 'victim', 'next']) expect(ipam('ours', host, cniVars('DEL', id), c).code).toBe(0);
      expect(leases(d)).toEqual({});
      expect(fs.readdirSync(path.join(d, '.tscni', 'thlnet', 'tmp'))).toEqual([]);
    });
  }

  it('killed between removing a lease and its index entry', () => {
    const d = data();
    const c = conf(d, { subnet: '10.78.3.0/24' });
    expect(ipam('ours', host, cniVars('ADD', 'victim'), c).code).toBe(0);
    expect(ipam('ours', host, cniVars('DEL', 'victim', 'eth0', { TSCNI_TEST_CRASH: 'after-unlink' }), c).code).not.toBe(0);
    expect(leases(d)).toEqual({});
    // The stale index entry must not block the same container from a new lease.
    const again = ipam('ours', host, cniVars('ADD', 'victim'), c);
    expect(again.code, again.stdout).toBe(0);
    expect(again.json.ips[0].address).toBe('10.78.3.3/24');
  });
});
