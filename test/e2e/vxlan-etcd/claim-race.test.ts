// Store-level race: several processes claim a slice of the same network at the same moment, each
// always going for the lowest free slice (maximum contention). The create-revision transaction
// must give every slice to exactly one of them, round after round; when slices run out the
// losers get "exhausted" (110), never a duplicate.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, leakedNetns } from '../../helpers/netns';
import { ensureEtcd, startEtcd, type Etcd } from './fixture';
import { skipWithout } from '../../helpers/prereq';

const missing = skipWithout('vxlan-etcd race test', ensureEtcd());

let ns: string;
let etcd: Etcd | undefined;
let tmp: string;
let worker: string;

beforeAll(async () => {
  if (missing) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tet-race-'));
  worker = path.join(tmp, 'claim-worker.cjs');
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: [path.join(__dirname, 'claim-worker.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: worker, logLevel: 'error' });
  ns = createNetns('tet-race');
  etcd = await startEtcd({ ns, host: '127.0.0.1', clientPort: 2379, dataDir: path.join(tmp, 'etcd') });
}, 60_000);

afterAll(() => {
  etcd?.stop();
  deleteAllNetns();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  expect(leakedNetns()).toEqual([]);
});

type Outcome = { claimed?: string; code?: number; msg?: string };

function claimant(network: string, node: string, len: number, kind: 'subnet' | 'block'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, worker, etcd!.url, network, node, String(len), kind], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', () => {
      try {
        resolve(JSON.parse(out) as Outcome);
      } catch {
        reject(new Error(`worker printed ${JSON.stringify(out)}; stderr ${err}`));
      }
    });
  });
}

async function race(network: string, racers: number, len: number, kind: 'subnet' | 'block' = 'subnet'): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: racers }, (_, i) => claimant(network, `node${i}`, len, kind)));
}

describe.skipIf(missing)('claiming a slice under contention (real etcd, one process per claimant)', () => {
  it('never hands the same subnet to two hosts, round after round', async () => {
    for (let round = 0; round < 10; round++) {
      const network = `10.${100 + round}.0.0/21`;
      const got = await race(network, 5, 24);
      const claimed = got.map((g) => g.claimed);
      expect(claimed.every((c) => c !== undefined), JSON.stringify(got)).toBe(true);
      expect(new Set(claimed).size, `round ${round}: ${claimed.join(' ')}`).toBe(5);
      for (const c of claimed) expect(c).not.toBe(`10.${100 + round}.0.0/24`); // the first is skipped
    }
  }, 120_000);

  it('when slices run out, the losers get code 110 and the winners are distinct', async () => {
    const got = await race('10.200.0.0/22', 5, 24);
    const winners = got.filter((g) => g.claimed).map((g) => g.claimed);
    expect(winners.sort()).toEqual(['10.200.1.0/24', '10.200.2.0/24', '10.200.3.0/24']);
    expect(got.filter((g) => !g.claimed).map((g) => g.code)).toEqual([110, 110]);
  }, 60_000);

  it('l2 blocks: every block of the shared subnet goes to exactly one host', async () => {
    const got = await race('10.201.0.0/24', 5, 27, 'block');
    const claimed = got.map((g) => g.claimed);
    expect(new Set(claimed).size, JSON.stringify(got)).toBe(5);
    expect(claimed).toContain('10.201.0.0/27'); // blocks start at the first (only l3 skips it)
  }, 60_000);

  it('etcd is really there: the claims are in the store', () => {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-X', 'POST', `${etcd!.url}/v3/kv/range`, '-d', JSON.stringify({ key: Buffer.from('/race/10.200.0.0-22/subnets/').toString('base64'), range_end: Buffer.from('/race/10.200.0.0-22/subnets0').toString('base64') })], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout).kvs).toHaveLength(3);
  });
});
