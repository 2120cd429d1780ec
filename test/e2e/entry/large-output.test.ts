// A role leaves with process.exit as soon as its main returns (no orderly teardown). An output
// larger than a pipe holds, read by a slow reader, must still arrive whole: cnitool listing a busy
// node (hundreds of networks or namespaces) was cut short.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin } from '../../helpers/bins';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-bigout-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('large output to a slow pipe reader', () => {
  it('cnitool network ls with 2,000 networks prints every line', async () => {
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const name = `bigout-network-with-a-long-name-${String(i).padStart(4, '0')}`;
      const list = { cniVersion: '1.0.0', name, plugins: [{ type: 'bridge', bridge: `bo${i}`, ipam: { type: 'host-local', subnet: `10.${100 + (i >> 8)}.${i & 255}.0/24` } }] };
      fs.writeFileSync(path.join(dir, `${name}.conflist`), JSON.stringify(list));
    }
    const child = spawn(bin('cnitool'), ['network', 'ls'], { env: { ...process.env, NETCONFPATH: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Read nothing for a while: the pipe fills and the rest of the output has to wait for us.
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 700));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(128 * 1024); // more than a pipe holds, or the test proves nothing
    const names = out.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
    expect(names.length).toBe(n);
    expect(new Set(names).size).toBe(n);
  }, 60_000);
});
