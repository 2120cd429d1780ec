// Bad input corpus: generated configs, env values, CNI_ARGS, capability args and prevResults fed to
// every plugin on a throwaway host. Each case must end in a valid result or a CNI error JSON with
// a documented code and exit ≠ 0; an error must leave the host exactly as it was (links,
// addresses, routes, nft, iptables, the container, every file under the test's dir), and a
// success must be undone by DEL.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { PLUGINS, setPath, type PluginCase } from './plugins';
import { cniVars, contractProblem, createWorld, destroyWorld, runPlugin, snapshot, snapshotDiff, type Snapshot, type World } from './world';

// The machine's own stores: a mutation must never reach them (an empty dataDir would).
const GUARDED = ['/var/lib/cni/networks', '/var/lib/cni/vxlan', '/run/cni/tuning', '/run/containers/cni/dnsname'];
const guardedListing = (): string[] => GUARDED.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => `${d}/${f}`) : []));

// Modest by default (each case is a process, ~100 ms with its snapshot); TSK_FUZZ_RUNS and
// TSK_FUZZ_SEED widen or vary an exploratory run.
const RUNS = Number(process.env.TSK_FUZZ_RUNS ?? 30);
const SEED = Number(process.env.TSK_FUZZ_SEED ?? 4242);

let w: World;
let baseline: Snapshot;
// The strict baseline (allocator hints included) moves only when a case succeeds.
let strict: Snapshot;
let guardedBefore: string[];

beforeAll(() => {
  guardedBefore = guardedListing();
  w = createWorld('tskb');
  // Warm-up: one ADD+DEL per plugin, so first-use residue (the bridge, nft tables, allocator
  // hints) exists before the baseline and a successful fuzz case can be compared after its DEL.
  for (const p of PLUGINS) {
    const conf = p.conf(w);
    const vars = cniVars(w, 'ADD', { CNI_IFNAME: p.ifname ?? 'eth0' });
    const add = runPlugin(w, p.role, vars, JSON.stringify(conf));
    if (p.role !== 'dnsname') expect(add.code, `${p.role} warm-up ADD: ${add.stdout}${add.stderr}`).toBe(0);
    const del = runPlugin(w, p.role, { ...vars, CNI_COMMAND: 'DEL' }, JSON.stringify(conf));
    expect(del.code, `${p.role} warm-up DEL: ${del.stdout}${del.stderr}`).toBe(0);
  }
  baseline = snapshot(w, { loose: true });
});

afterAll(() => {
  destroyWorld(w);
  expect(leakedNetns()).toEqual([]);
  expect(guardedListing()).toEqual(guardedBefore);
});

// ---- generators

const nasty = fc.constantFrom(
  '',
  ' ',
  '.',
  '..',
  '../../../../etc',
  '/',
  '/etc/passwd',
  'a/b',
  'eth0:1',
  'é',
  '\u202e',
  '\u0000',
  'x\u0000y',
  'a'.repeat(16),
  'a'.repeat(300),
  '-1',
  '0',
  '65536',
  'NaN',
  '10.0.0.0/33',
  '::/129',
  '300.1.1.1',
  '10.0.0.1',
  'fe80::1',
  '0.0.0.0/0',
  'tcp',
  'nftables; flush ruleset',
  '$(touch /tmp/tsk-pwned)',
  '`id`',
  '\n',
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nasty },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1, 65535, 65536, 2 ** 32, 2 ** 53, -0, 1e308, 0.5)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) }, // delete the key
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
);
// Env values cannot hold NUL (execve); anything else goes.
const envValue = fc.oneof(nasty.filter((s) => !s.includes('\u0000')), fc.string({ unit: 'grapheme', maxLength: 40 }));
const cniArgs = fc.oneof(
  fc.constantFrom('', ';', '=', 'a', 'a=', '=b', 'a=b=c', 'IP=10.232.2.7', 'IP=999.1.1.1', 'IP=10.232.2.1', 'IgnoreUnknown=1;IP=nope', 'MAC=zz:zz', 'MAC=c2:11:22:33:44:55', 'K8S_POD_NAME=x'),
  fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 4 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`).join(';')),
).filter((s) => !s.includes('\u0000'));

interface Case {
  command: string;
  mutations: [string, unknown][];
  env: [string, string][];
}

const ENV_KEYS = ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'CNI_COMMAND', 'CNI_NETNS_OVERRIDE'];

function caseArb(p: PluginCase): fc.Arbitrary<Case> {
  return fc.record({
    command: fc.constantFrom('ADD', 'ADD', 'ADD', 'DEL', 'CHECK', 'GC', 'STATUS'),
    mutations: fc.array(fc.tuple(fc.constantFrom(...p.keys), hostileValue), { minLength: 0, maxLength: 3 }),
    env: fc.array(fc.oneof(fc.tuple(fc.constantFrom(...ENV_KEYS), envValue), fc.tuple(fc.constant('CNI_ARGS'), cniArgs)), { maxLength: 2 }),
  });
}

/** Where a plugin may write or what it may run stays ours, whatever the mutations did. */
function pin(conf: Record<string, any>, base: Record<string, any>): void {
  for (const key of ['dataDir', 'stateDir', 'dnsmasqPath']) if (key in base) conf[key] = base[key];
  if (base.ipam && conf.ipam && typeof conf.ipam === 'object' && !Array.isArray(conf.ipam)) conf.ipam.dataDir = base.ipam.dataDir;
}

function describeCase(c: Case): string {
  return JSON.stringify(c, (_k, v) => (v === undefined ? '<deleted>' : v));
}

/** Runs one case: what broke the contract (if anything) and whether the plugin accepted it. */
function runCase(p: PluginCase, c: Case): { problem?: string; succeeded: boolean } {
  const r = runMutated(p, c);
  return { problem: r.problem, succeeded: r.code === 0 };
}

function runMutated(p: PluginCase, c: Case): { problem?: string; code: number } {
  const base = p.conf(w);
  const conf = structuredClone(base);
  for (const [k, v] of c.mutations) setPath(conf, k, v);
  pin(conf, base);
  const vars: Record<string, string | undefined> = cniVars(w, c.command, { CNI_IFNAME: p.ifname ?? 'eth0' });
  for (const [k, v] of c.env) vars[k] = v;
  const stdin = JSON.stringify(conf);
  const r = runPlugin(w, p.role, vars, stdin);
  const command = vars.CNI_COMMAND ?? '';
  const problem = contractProblem(command, r);
  if (problem) return { problem, code: r.code };
  if (r.code === 0 && command === 'ADD') {
    // Undo what the accepted input did, with the same input, as a runtime would.
    const del = runPlugin(w, p.role, { ...vars, CNI_COMMAND: 'DEL' }, stdin);
    if (del.code !== 0) return { problem: `ADD accepted, DEL failed: ${del.stdout}`, code: r.code };
  }
  const after = snapshot(w, { loose: r.code === 0 });
  const before = r.code === 0 ? baseline : strict;
  const diff = snapshotDiff(before, after);
  if (diff) return { problem: `host changed after ${r.code === 0 ? `accepted ${command}${command === 'ADD' ? '+DEL' : ''}` : `error ${r.stdout.replace(/\s+/g, ' ')}`}: ${diff.slice(0, 2000)}`, code: r.code };
  return { code: r.code };
}

describe('reliability: bad input corpus (fast-check, one process per case)', () => {
  for (const p of PLUGINS) {
    it(`${p.role}: generated configs, env, CNI_ARGS, capability args and prevResults`, () => {
      strict = snapshot(w);
      fc.assert(
        fc.property(caseArb(p), (c) => {
          const { problem, succeeded } = runCase(p, c);
          if (problem) throw new Error(`${p.role} ${describeCase(c)}: ${problem}`);
          if (succeeded) strict = snapshot(w);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }, 180_000);
  }
});
