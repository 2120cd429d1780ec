// The short soak (the full one is `node scripts/soak.mjs`, 1,000 operations): a seeded random run
// of ADD/DEL/CHECK/GC with kills, vanished netns, repeated DEL and partial GC, our plugins and the
// reference ones on one store; it must end with nothing of ours left on its throwaway host.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binDir, repoRoot } from '../../helpers/bins';

interface SoakReport {
  seed: number;
  host: string;
  counts: Record<string, number>;
  problems: string[];
  leaks: string[];
  final: { bridges: string[]; veths: string[]; nftElements: Record<string, number> };
  ok: boolean;
}

// Asynchronous on purpose: the run takes over a minute, and a worker blocked that long in
// spawnSync misses vitest's 60 s RPC deadline ("Timeout calling onTaskUpdate"), which fails the run.
function soak(ops: number, seed: number): Promise<SoakReport> {
  const args = [path.join(repoRoot, 'scripts', 'soak.mjs'), '--ops', String(ops), '--seed', String(seed), '--bin', binDir, '--json'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 400_000 }, (err, stdout, stderr) => {
      if (!stdout.startsWith('{')) {
        reject(new Error(`soak printed no report (${err?.message ?? 'no error'}):\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as SoakReport);
    });
  });
}

describe('reliability: soak', () => {
  it('120 random operations with faults leave no lease, veth, nft element or iptables chain', async () => {
    const rep = await soak(120, 7);
    expect(rep.problems).toEqual([]);
    expect(rep.leaks).toEqual([]);
    // The run really exercised what it claims: kills that landed inside a call, every variant.
    expect(rep.counts['add-killed'] ?? 0).toBeGreaterThan(0);
    expect(rep.counts['del-killed'] ?? 0).toBeGreaterThan(0);
    expect(rep.counts['del-netns-gone'] ?? 0).toBeGreaterThan(0);
    expect(rep.counts['del-repeat'] ?? 0).toBeGreaterThan(0);
    expect(rep.counts['gc'] ?? 0).toBeGreaterThan(0);
    for (const v of ['ours-nft', 'mixed-nft', 'ours-ipt', 'reference']) expect(rep.counts[`add-ok:${v}`] ?? 0, v).toBeGreaterThan(0);
    // the mixed-policy firewall step (scripts/soak-firewall.mjs) ran on both backends
    for (const b of ['nftables', 'iptables']) expect(rep.counts[`firewall-step:${b}`] ?? 0, b).toBeGreaterThan(0);
    // Bridges stay, as documented (and as the reference leaves them), but with no port.
    expect(rep.final.bridges.sort()).toEqual(['tska', 'tskb']);
    expect(rep.final.veths).toEqual([]);
    // The driver's throwaway host and containers are gone.
    expect(fs.readdirSync('/run/netns').filter((n) => n === rep.host || n.startsWith(`${rep.host}-`))).toEqual([]);
  }, 420_000);
});
