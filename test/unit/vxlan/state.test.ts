// The overlay's per-host state directory: GC lists saved attachments from it, and the store's
// membership file beside them must never be mistaken for one (GC would delete the lease cache).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listDelegates, loadDelegate, networkDir, removeDelegate, saveDelegate } from '../../../shared/overlay/state';
import { membershipFile } from '../../../shared/overlay/store/cache';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('listDelegates', () => {
  it('lists saved attachments and a torn attachment file, never the store membership file', () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-state-'));
    dirs.push(stateDir);
    saveDelegate(stateDir, 'ov', 'c1', 'eth0', { type: 'bridge' });
    saveDelegate(stateDir, 'ov', 'c2', 'net1', { type: 'bridge' });
    fs.writeFileSync(path.join(networkDir(stateDir, 'ov'), 'c3-eth0.json'), '{"contain');
    const lease = membershipFile(stateDir, 'ov');
    expect(path.dirname(lease)).toBe(networkDir(stateDir, 'ov'));
    fs.writeFileSync(lease, JSON.stringify({ node: 'n1', leaseId: '7', share: '10.1.0.0/24' }));

    const found = listDelegates(stateDir, 'ov').sort((a, b) => a.file.localeCompare(b.file));
    expect(found.map((f) => path.basename(f.file))).toEqual(['c1-eth0.json', 'c2-net1.json', 'c3-eth0.json']);
    expect(found[0]).toMatchObject({ containerId: 'c1', ifname: 'eth0' });
    expect(found[2]!.containerId).toBeUndefined();
  });
});

describe('saved attachments belong to the owner recorded inside', () => {
  it('a DEL whose "<cid>-<ifname>" names another attachment\'s file neither reads nor removes it', () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-state-'));
    dirs.push(stateDir);
    saveDelegate(stateDir, 'ov', 'a-b', 'c', { type: 'bridge', owner: 'a-b/c' });
    expect(loadDelegate(stateDir, 'ov', 'a', 'b-c')).toBeUndefined();
    removeDelegate(stateDir, 'ov', 'a', 'b-c');
    expect(loadDelegate(stateDir, 'ov', 'a-b', 'c')).toEqual({ type: 'bridge', owner: 'a-b/c' });
    removeDelegate(stateDir, 'ov', 'a-b', 'c');
    expect(listDelegates(stateDir, 'ov')).toEqual([]);
    // a torn file is nobody's: its DEL re-renders and removes it
    fs.writeFileSync(path.join(networkDir(stateDir, 'ov'), 'c3-eth0.json'), '{"contain');
    expect(loadDelegate(stateDir, 'ov', 'c3', 'eth0')).toBeUndefined();
    removeDelegate(stateDir, 'ov', 'c3', 'eth0');
    expect(listDelegates(stateDir, 'ov')).toEqual([]);
  });
});
