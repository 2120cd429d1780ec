// Property tests of the pure input parsers, in-process and with many runs: whatever a runtime or a
// conflist sends, each parser returns a value that keeps its promises or throws a CniError with a
// documented code — never a TypeError (which would surface as an opaque 999).
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KNOWN_CNI_ARGS, containerArgs, parseCniArgs } from '../../../shared/cni/args';
import { readEnv } from '../../../shared/cni/env';
import { CniError, ErrorCode } from '../../../shared/cni/error';
import { interfaceNameProblem, validateContainerId, validateNetworkName } from '../../../shared/cni/names';
import { toCurrent, toVersion } from '../../../shared/cni/result';
import { parseJsonObject } from '../../../shared/cni/stdin';
import { ALL_VERSIONS } from '../../../shared/cni/version';
import { loadIpamConfig } from '../../../shared/ipam/config';
import { cidrContains } from '../../../shared/cni/ip';
import { parsePortMappings } from '../../../plugins/portmap/mappings';
import { quote as nftQuote } from '../../../shared/firewall/nft/run';
import { quoteArg } from '../../../shared/firewall/iptables/run';

const DOCUMENTED = new Set<number>(Object.values(ErrorCode));
const RUNS = { numRuns: 1000, seed: 1123 };

/** Runs fn; a throw must be a CniError with a documented code (and one of `codes` if given). */
function outcome<T>(fn: () => T, codes?: number[]): { ok: true; value: T } | { ok: false; err: CniError } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof CniError)) throw new Error(`not a CniError: ${(e as Error)?.stack ?? String(e)}`);
    expect(DOCUMENTED.has(e.code), `code ${e.code}`).toBe(true);
    if (codes) expect(codes).toContain(e.code);
    expect(e.msg.length).toBeGreaterThan(0);
    return { ok: false, err: e };
  }
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('..', '.', '/', 'a/b', '../x', 'a\0b', 'eth0', 'x'.repeat(16)));

describe('property: names are safe path components and interface names', () => {
  it('an accepted network name or container id is one path component, never . or ..', () => {
    fc.assert(
      fc.property(text, (s) => {
        for (const fn of [validateNetworkName, validateContainerId]) {
          const r = outcome(() => fn(s), [3, 4, 7]);
          if (!r.ok) continue;
          expect(s).not.toMatch(/[/\0\s]/);
          expect(['.', '..']).not.toContain(s);
          expect(path.dirname(path.join('/base', s))).toBe('/base');
        }
      }),
      RUNS,
    );
  });

  it('an accepted interface name is 1-15 bytes with no / : NUL or whitespace', () => {
    fc.assert(
      fc.property(text, (s) => {
        if (interfaceNameProblem(s)) return;
        const n = Buffer.byteLength(s);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(15);
        expect(s).not.toMatch(/[/:\0\s]/);
        expect(['.', '..']).not.toContain(s);
      }),
      RUNS,
    );
  });
});

describe('property: environment', () => {
  const envArb = fc.record(
    {
      CNI_COMMAND: fc.oneof(fc.constantFrom('ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION', 'add', ''), text),
      CNI_CONTAINERID: text,
      CNI_NETNS: text,
      CNI_IFNAME: text,
      CNI_ARGS: text,
      CNI_PATH: text,
      CNI_NETNS_OVERRIDE: text,
    },
    { requiredKeys: [] },
  );

  it('readEnv returns a validated env or throws code 4', () => {
    fc.assert(
      fc.property(envArb, (env) => {
        const r = outcome(() => readEnv(env), [4]);
        if (!r.ok || !r.value) return;
        if (['ADD', 'DEL', 'CHECK'].includes(r.value.command)) {
          expect(interfaceNameProblem(r.value.ifname)).toBeUndefined();
          expect(() => validateContainerId(r.value!.containerId)).not.toThrow();
        }
      }),
      RUNS,
    );
  });

  it('CNI_ARGS: any text parses to pairs or throws code 4; well-formed pairs round-trip', () => {
    fc.assert(
      fc.property(text, (s) => {
        const r = outcome(() => parseCniArgs(s), [4]);
        if (r.ok) for (const [k, v] of r.value) expect(k && v && !k.includes('=') && !k.includes(';') && !v.includes(';')).toBeTruthy();
      }),
      RUNS,
    );
    const tok = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/[;=]/.test(s));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(tok, tok), { selector: ([k]) => k, maxLength: 6 }), (pairs) => {
        const m = parseCniArgs(pairs.map(([k, v]) => `${k}=${v}`).join(';'));
        expect([...m]).toEqual(pairs);
        const picked = outcome(() => containerArgs(m), [4]);
        if (picked.ok) expect(Object.keys(picked.value).every((k) => (KNOWN_CNI_ARGS as readonly string[]).includes(k))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('property: stdin and results', () => {
  it('parseJsonObject: any bytes give an object or code 6', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (s) => {
        const r = outcome(() => parseJsonObject(s), [6]);
        if (r.ok) expect(typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value)).toBe(true);
      }),
      RUNS,
    );
  });

  // prevResults: real shapes with hostile values in every slot.
  const hostile = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
  const resultArb = fc.record(
    {
      cniVersion: fc.oneof(fc.constantFrom(...ALL_VERSIONS), hostile),
      interfaces: fc.oneof(fc.array(fc.record({ name: hostile, mac: hostile, sandbox: hostile, mtu: hostile }, { requiredKeys: [] }), { maxLength: 3 }), hostile),
      ips: fc.oneof(fc.array(fc.record({ address: fc.oneof(fc.constantFrom('10.0.0.2/24', 'fd00::2/64'), hostile), gateway: hostile, interface: hostile, version: hostile }, { requiredKeys: [] }), { maxLength: 3 }), hostile),
      routes: fc.oneof(fc.array(fc.oneof(fc.record({ dst: fc.oneof(fc.constant('0.0.0.0/0'), hostile), gw: hostile }, { requiredKeys: [] }), hostile), { maxLength: 3 }), hostile),
      // 0.2.0 route entries with a string dst: anything else is the known bug below.
      ip4: fc.oneof(fc.record({ ip: fc.oneof(fc.constant('10.0.0.2/24'), hostile), gateway: hostile, routes: fc.oneof(fc.array(fc.record({ dst: fc.constantFrom('0.0.0.0/0', '10.9.0.0/16'), gw: hostile }), { maxLength: 3 }), hostile.filter((v) => !Array.isArray(v))) }, { requiredKeys: [] }), hostile.filter((v) => !(v && typeof v === 'object' && Array.isArray((v as { routes?: unknown }).routes)))),
      ip6: hostile.filter((v) => !(v && typeof v === 'object' && Array.isArray((v as { routes?: unknown }).routes))),
      dns: fc.oneof(fc.record({ nameservers: hostile, domain: hostile, search: hostile, options: hostile }, { requiredKeys: [] }), hostile),
    },
    { requiredKeys: [] },
  );

  it('toCurrent: any prevResult of any version converts or throws a documented code; conversion back never throws', () => {
    fc.assert(
      fc.property(resultArb, fc.constantFrom(...ALL_VERSIONS), fc.constantFrom(...ALL_VERSIONS), (raw, fallback, target) => {
        const r = outcome(() => toCurrent(JSON.parse(JSON.stringify(raw)), fallback));
        if (!r.ok) return;
        for (const ip of r.value.ips ?? []) expect(typeof ip.address).toBe('string');
        for (const i of r.value.interfaces ?? []) expect(typeof i.name).toBe('string');
        outcome(() => toVersion(r.value, target));
      }),
      RUNS,
    );
  });
});

describe('property: 0.x prevResult routes are validated', () => {
  // Route entries of a 0.1.0/0.2.0 result are checked like the 1.x ones: a null entry or one
  // without a string dst is a decoding error (6), not an internal one.
  it('a null route in a 0.2.0 prevResult is refused with code 6', () => {
    const r = outcome(() => toCurrent({ cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24', routes: [null] } }, '0.2.0'), [6]);
    expect(r.ok).toBe(false);
  });
  it('a route without dst in a 0.2.0 prevResult is refused with code 6', () => {
    const r = outcome(() => toVersion(toCurrent({ cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24', routes: [{}] } }, '0.2.0'), '0.2.0'), [6]);
    expect(r.ok).toBe(false);
  });
});

describe('property: config parsers', () => {
  const range = fc.record(
    { subnet: fc.oneof(fc.constantFrom('10.1.0.0/24', '10.1.0.0/16', 'fd00::/64', '10.1.0.0/33', '10.1.0.1/24', '0.0.0.0/0', '::/0', '10.1.0.0/31', '10.1.0.0/32'), text), rangeStart: fc.oneof(fc.constantFrom('10.1.0.10', '10.1.0.0', '10.2.0.1', 'fd00::5'), text), rangeEnd: fc.oneof(fc.constantFrom('10.1.0.20', '10.1.0.255', '10.1.0.5', 'fd00::9'), text), gateway: fc.oneof(fc.constantFrom('10.1.0.1', '10.1.0.10', 'fd00::1'), text) },
    { requiredKeys: ['subnet'] },
  );
  const ipamArb = fc.record(
    {
      type: fc.constant('host-local'),
      subnet: fc.oneof(range.map((r) => r.subnet), fc.jsonValue({ maxDepth: 1 })),
      ranges: fc.oneof(fc.array(fc.array(range, { maxLength: 3 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
      routes: fc.oneof(fc.array(fc.record({ dst: fc.oneof(fc.constantFrom('0.0.0.0/0', '::/0', 'x'), text), gw: fc.oneof(fc.constant('10.1.0.1'), text) }, { requiredKeys: [] }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
      dataDir: fc.constant('/nonexistent/tsk-property'),
    },
    { requiredKeys: ['type', 'dataDir'] },
  );
  const argsArb = fc.oneof(fc.constant(''), fc.constantFrom('IP=10.1.0.7', 'IP=10.1.0.7/24', 'IP=999.0.0.1', 'IP=10.1.0.1', 'IP=fd00::7,10.1.0.7', 'IgnoreUnknown=1;IP=x'));

  it('host-local config: every accepted range set is inside its subnet, ordered, not overlapping another', () => {
    fc.assert(
      fc.property(ipamArb, argsArb, (ipam, args) => {
        const r = outcome(() => loadIpamConfig({ cniVersion: '1.1.0', name: 'tsknet', ipam: JSON.parse(JSON.stringify(ipam)) }, parseCniArgs(args)), [4, 7]);
        if (!r.ok) return;
        expect(r.value.rangeSets.length).toBeGreaterThan(0);
        expect(r.value.dataDir).toBe('/nonexistent/tsk-property');
        const all = r.value.rangeSets.flat();
        for (const x of all) {
          expect(cidrContains(x.subnet, x.rangeStart) && cidrContains(x.subnet, x.rangeEnd)).toBe(true);
          expect(x.rangeStart.value <= x.rangeEnd.value).toBe(true);
        }
        for (let i = 0; i < all.length; i++)
          for (let j = i + 1; j < all.length; j++) {
            const [a, b] = [all[i]!, all[j]!];
            if (a.rangeStart.family !== b.rangeStart.family) continue;
            expect(a.rangeEnd.value < b.rangeStart.value || b.rangeEnd.value < a.rangeStart.value, 'ranges overlap').toBe(true);
          }
      }),
      RUNS,
    );
  });

  it('portMappings: accepted mappings have ports 1-65535 and a known protocol; anything else is code 7', () => {
    const pm = fc.record(
      { hostPort: fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.jsonValue({ maxDepth: 0 })), containerPort: fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.jsonValue({ maxDepth: 0 })), protocol: fc.oneof(fc.constantFrom('tcp', 'UDP', 'sctp', 'icmp', ''), fc.jsonValue({ maxDepth: 0 })), hostIP: fc.oneof(fc.constantFrom('', '0.0.0.0', '::', '127.0.0.1', '300.1.1.1', 'fe80::1%eth0'), fc.jsonValue({ maxDepth: 0 })) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.oneof(pm, fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), (raw) => {
        const r = outcome(() => parsePortMappings(raw), [7]);
        if (!r.ok) return;
        for (const m of r.value) {
          expect(Number.isInteger(m.hostPort) && m.hostPort >= 1 && m.hostPort <= 65535).toBe(true);
          expect(Number.isInteger(m.containerPort) && m.containerPort >= 1 && m.containerPort <= 65535).toBe(true);
          expect(['tcp', 'udp', 'sctp']).toContain(m.protocol);
        }
      }),
      RUNS,
    );
  });
});

describe('property: rule text quoting', () => {
  it('nft comments and iptables-restore arguments never carry a line break or an unescaped quote out', () => {
    fc.assert(
      fc.property(text, (s) => {
        const q = outcome(() => nftQuote(s), [7]);
        if (q.ok) {
          expect(q.value).not.toMatch(/[\n\r]/);
          expect(q.value.slice(1, -1)).not.toContain('"');
        }
        const a = outcome(() => quoteArg(s), [7]);
        if (a.ok) {
          expect(a.value).not.toMatch(/[\n\r]/);
          if (a.value.startsWith('"')) expect(a.value.slice(1, -1).replace(/\\\\|\\"/g, '')).not.toContain('"');
          else expect(a.value).not.toMatch(/\s/);
        }
      }),
      RUNS,
    );
  });
});
