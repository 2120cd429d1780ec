// CNI_NETNS naming something that is not a network namespace: every plugin answers code 4 naming
// CNI_NETNS and what the path is, before it changes anything (the host, the container and every
// file under the test dir compare equal before and after). DEL has nothing to create and goes on.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedNetns } from '../../helpers/netns';
import { PLUGINS } from './plugins';
import { cniVars, createWorld, destroyWorld, runPlugin, snapshot, snapshotDiff, type Snapshot, type World } from './world';

let w: World;
let before: Snapshot;
let bad: [string, RegExp][];

beforeAll(() => {
  w = createWorld('tskn');
  const file = path.join(w.dir, 'not-a-netns');
  const empty = path.join(w.dir, 'unmounted-netns');
  const dir = path.join(w.dir, 'netns-dir');
  fs.writeFileSync(file, 'hello\n');
  fs.writeFileSync(empty, '');
  fs.mkdirSync(dir);
  const says = (what: string): RegExp => new RegExp(`^CNI_NETNS "[^"]+" is not a network namespace: it is ${what}`);
  bad = [
    [file, says('a regular file$')],
    [empty, says('an empty regular file')],
    [dir, says('a directory$')],
    ['/proc/self/ns/pid', says('a pid namespace$')],
    ['/proc/self/ns/uts', says('a uts namespace$')],
    // another process's namespace: root without CAP_SYS_PTRACE (as on the test VM) may not look
    ['/proc/1/ns/pid', says('(a pid namespace|not accessible \\(EACCES\\))$')],
  ];
  before = snapshot(w);
});

afterAll(() => {
  destroyWorld(w);
  expect(leakedNetns()).toEqual([]);
});

describe('CNI_NETNS that is not a network namespace', () => {
  for (const p of PLUGINS) {
    it(`${p.role}: ADD and CHECK answer code 4 naming it and what it is, and nothing changes`, () => {
      for (const [netns, what] of bad) {
        for (const cmd of ['ADD', 'CHECK']) {
          const r = runPlugin(w, p.role, cniVars(w, cmd, { CNI_NETNS: netns, CNI_IFNAME: p.ifname ?? 'eth0' }), JSON.stringify(p.conf(w)));
          expect(r.code, `${cmd} ${netns}: ${r.stdout}${r.stderr}`).not.toBe(0);
          expect(r.json, `${cmd} ${netns}`).toMatchObject({ code: 4 });
          expect(r.json.msg).toMatch(what);
          expect(r.json.msg).toContain(`"${netns}"`);
        }
      }
      expect(snapshotDiff(before, snapshot(w))).toBe('');
    });
  }

  it('bridge DEL with an empty file where the netns was mounted succeeds (the netns is gone)', () => {
    const bridge = PLUGINS.find((p) => p.role === 'bridge')!;
    const r = runPlugin(w, 'bridge', cniVars(w, 'DEL', { CNI_NETNS: bad[1]![0] }), JSON.stringify(bridge.conf(w)));
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
