import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gcStates, readState, removeState, stateFileName, writeState } from '../../../plugins/tuning/saved-state';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ttm-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('tuning saved state', () => {
  it('file per container id and ifname, named as the reference names it', () => {
    expect(stateFileName('abc', 'eth0')).toBe('abc_eth0.json');
    for (const [id, ifn] of [['../x', 'eth0'], ['a/b', 'eth0'], ['', 'eth0'], ['abc', '..'], ['abc', 'a/b']]) {
      expect(() => stateFileName(id!, ifn!)).toThrow();
    }
  });

  it('round trip, 0600 file, missing file is undefined, corrupt file is ignored', () => {
    const d = path.join(tmp(), 'sub');
    expect(readState(d, 'c1', 'eth0')).toBeUndefined();
    writeState(d, 'c1', 'eth0', { mac: '02:00:00:00:00:01', mtu: 1500, sysctl: { 'net/ipv4/ip_forward': '0' } });
    expect(readState(d, 'c1', 'eth0')).toEqual({ mac: '02:00:00:00:00:01', mtu: 1500, sysctl: { 'net/ipv4/ip_forward': '0' } });
    expect(fs.statSync(path.join(d, 'c1_eth0.json')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(d)).toEqual(['c1_eth0.json']);
    fs.writeFileSync(path.join(d, 'c1_eth0.json'), '{not json');
    expect(readState(d, 'c1', 'eth0')).toBeUndefined();
    removeState(d, 'c1', 'eth0');
    removeState(d, 'c1', 'eth0');
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it("GC keeps valid attachments (ids with underscores too), other networks' and ownerless files; removes the rest and dead writers' temp files", () => {
    const d = tmp();
    writeState(d, 'keep_me', 'eth0', { network: 'n1' });
    writeState(d, 'other_id', 'net1', { network: 'n1' });
    writeState(d, 'gone', 'eth0', { network: 'n1' });
    writeState(d, 'theirs', 'eth0', { network: 'n2' });
    writeState(d, 'legacy', 'eth0', { mtu: 1500 });
    fs.writeFileSync(path.join(d, '.gone_eth1.json.tmp-999999999'), '{}');
    fs.writeFileSync(path.join(d, `.live_eth1.json.tmp-${process.pid}`), '{}');
    fs.writeFileSync(path.join(d, 'README'), 'not ours');
    const removed = gcStates(d, 'n1', [{ containerId: 'keep_me', ifname: 'eth0' }, { containerId: 'other', ifname: 'id_net1' }]);
    expect(removed.sort()).toEqual(['.gone_eth1.json.tmp-999999999', 'gone_eth0.json']);
    // other_id/net1 and other/id_net1 share one file name (the reference's naming): kept.
    expect(fs.readdirSync(d).sort()).toEqual([`.live_eth1.json.tmp-${process.pid}`, 'README', 'keep_me_eth0.json', 'legacy_eth0.json', 'other_id_net1.json', 'theirs_eth0.json']);
    expect(gcStates(d, 'n1', []).sort()).toEqual(['keep_me_eth0.json', 'other_id_net1.json']);
    expect(gcStates(d, 'n2', []).sort()).toEqual(['theirs_eth0.json']);
    expect(fs.readdirSync(d).sort()).toEqual([`.live_eth1.json.tmp-${process.pid}`, 'README', 'legacy_eth0.json']);
    expect(gcStates(path.join(d, 'missing'), 'n1', [])).toEqual([]);
  });
});
