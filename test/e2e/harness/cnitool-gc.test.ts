// gc: ours keeps attachments whose netns is alive; --all behaves like the Go cnitool.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAllNetns, deleteNetns, leakedNetns, netnsPath } from '../../helpers/netns';
import { HarnessEnv, addrsOf, goCnitoolId } from './harness-env';

const h = new HarnessEnv();
let host: string;

beforeAll(() => {
  host = createNetns('thn-host');
  h.writeConflist('10-thngc.conflist', h.bridgeList('thngc', 'thnbr4', '10.231.4.0/24'));
});
afterAll(() => {
  deleteAllNetns();
  h.cleanup();
  expect(leakedNetns()).toEqual([]);
});

describe('cnitool gc', () => {
  it('removes only attachments whose netns is gone, and says so on stderr', () => {
    const live = createNetns('thn-c');
    const dead = createNetns('thn-c');
    expect(h.cnitool(['add', 'thngc', netnsPath(live)], { host }).code).toBe(0);
    expect(h.cnitool(['add', 'thngc', netnsPath(dead)], { host }).code).toBe(0);
    expect(h.leaseFiles('thngc').sort()).toEqual(['10.231.4.2', '10.231.4.3']);
    deleteNetns(dead);

    const r = h.cnitool(['gc', 'thngc', netnsPath(live)], { host });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`gc: removed attachment thngc/${goCnitoolId(netnsPath(dead))}/eth0 (netns ${netnsPath(dead)} is gone)\n`);
    expect(fs.existsSync(h.cacheFile('thngc', goCnitoolId(netnsPath(dead))))).toBe(false);
    expect(fs.existsSync(h.cacheFile('thngc', goCnitoolId(netnsPath(live))))).toBe(true);
    expect(h.leaseFiles('thngc')).toEqual(['10.231.4.2']);
    expect(addrsOf(live, 'eth0')).toEqual(['10.231.4.2/24']);

    // Nothing stale left: a second gc removes nothing.
    const again = h.cnitool(['gc', 'thngc'], { host });
    expect([again.code, again.stderr]).toEqual([0, '']);
  });

  it('--all tears down every cached attachment, like the Go cnitool', () => {
    const live = createNetns('thn-c');
    expect(h.cnitool(['add', 'thngc', netnsPath(live)], { host }).code).toBe(0);
    const r = h.cnitool(['gc', 'thngc', '--all'], { host });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(h.leaseFiles('thngc')).toEqual([]);
    expect(addrsOf(live, 'eth0')).toEqual([]);
    expect(fs.readdirSync(`${h.cache}/results`)).toEqual([]);
  });
});
