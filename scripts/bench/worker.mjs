// Runs inside a throwaway "host" netns (started with `ip netns exec HOST node worker.mjs JOB`):
// creates container namespaces, drives conflist ADD/DEL through chain.mjs and prints timings.
// job: { dir, list, tag, count, present = 0 (containers added first and kept during the
// measurement), parallel = 1, observe (one more container's ADD and DEL traced: out.calls) }.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { chainAdd, chainDel } from './chain.mjs';

const job = JSON.parse(process.argv[2]);
const { dir, list, count, present = 0, parallel = 1, tag, observe = false } = job;
const made = [];

function mkNetns(i) {
  const name = `${tag}-c${i}`;
  execFileSync('ip', ['netns', 'add', name]);
  made.push(name);
  return { containerId: `bench-${tag}-${i}`, netns: `/var/run/netns/${name}`, caps: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] } };
}

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

const out = { add: [], del: [], ips: [] };
try {
  const background = [];
  for (let i = 0; i < present; i++) background.push(mkNetns(i));
  // The containers already present are added 4 at a time (only the measured ones are timed),
  // after a first one alone: the reference portmap's first ADDs on a fresh host race to create
  // its chains and one of them fails ("CHAIN_USER_ADD failed (File exists)").
  if (background.length) background[0].prevResult = await chainAdd(dir, list, background[0]);
  for (let i = 1; i < background.length; i += 4) {
    await Promise.all(background.slice(i, i + 4).map(async (c) => (c.prevResult = await chainAdd(dir, list, c))));
  }
  const measured = [];
  for (let i = present; i < present + count; i++) measured.push(mkNetns(i));
  for (let i = 0; i < measured.length; i += parallel) {
    const batch = measured.slice(i, i + parallel);
    await Promise.all(
      batch.map(async (c) => {
        const [ms, res] = await timed(() => chainAdd(dir, list, c));
        c.prevResult = res;
        out.add.push(ms);
        for (const ip of res?.ips ?? []) out.ips.push(ip.address);
      }),
    );
  }
  for (let i = 0; i < measured.length; i += parallel) {
    const batch = measured.slice(i, i + parallel);
    await Promise.all(
      batch.map(async (c) => {
        const [ms] = await timed(() => chainDel(dir, list, c));
        out.del.push(ms);
      }),
    );
  }
  if (observe) {
    // One untraced ADD and DEL first, so the traced pair is the steady state: the first DEL after
    // the other backend's workloads (this host's /run/tscni markers) sweeps that backend's
    // leftovers once, with iptables-save processes (~30 ms, and Node's child_process in memory).
    const warm = mkNetns(present + count + 1);
    warm.prevResult = await chainAdd(dir, list, warm);
    await chainDel(dir, list, warm);
    out.calls = [];
    const c = mkNetns(present + count);
    c.prevResult = await chainAdd(dir, list, c, out.calls);
    await chainDel(dir, list, c, out.calls);
  }
  for (let i = 0; i < background.length; i += 4) await Promise.all(background.slice(i, i + 4).map((c) => chainDel(dir, list, c)));
} finally {
  for (const n of made) {
    try {
      execFileSync('ip', ['netns', 'del', n]);
    } catch {
      /* already gone */
    }
  }
}
process.stdout.write(JSON.stringify(out));
