import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NTF_MASTER, NTF_SELF, NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE } from '../../../shared/netlink/constants';
import { deleteAllNetns, leakedNetns } from '../../helpers/netns';
import { clearLinks, expectNlError, makeNs, type Ns } from './fixture';

let host: Ns;
let a: number;
let vx: number;

beforeAll(() => {
  host = makeNs();
});
afterAll(() => {
  host?.close();
  deleteAllNetns();
  expect(leakedNetns()).toEqual([]);
});
beforeEach(() => {
  clearLinks(host);
  host.nl.linkAdd({ name: 'a0', kind: 'veth', up: true, veth: { peerName: 'a1' } });
  a = host.nl.linkByName('a0')!.index;
  host.nl.addrAdd(a, '10.1.0.1/24');
  host.nl.addrAdd(a, 'fd01::1/64', { noDad: true });
  host.nl.linkAdd({ name: 'vx0', kind: 'vxlan', vxlan: { id: 42, port: 4789, local: '10.1.0.1', learning: false } });
  vx = host.nl.linkByName('vx0')!.index;
});

describe('neighbours', () => {
  it('sets permanent v4 and v6 entries, replaces them, lists and deletes', () => {
    host.nl.neighSet({ index: a, ip: '10.1.0.9', mac: '02:00:00:00:00:09' });
    host.nl.neighSet({ index: a, ip: 'fd01::9', mac: '02:00:00:00:00:99' });
    const ours = host.nl.neighList({ index: a });
    expect(ours).toEqual(expect.arrayContaining([
      { index: a, family: 4, ip: '10.1.0.9', mac: '02:00:00:00:00:09', state: NUD_PERMANENT, flags: 0 },
      { index: a, family: 6, ip: 'fd01::9', mac: '02:00:00:00:00:99', state: NUD_PERMANENT, flags: 0 },
    ]));
    const ip = host.ip(['neigh', 'show', 'dev', 'a0']);
    expect(ip).toEqual(expect.arrayContaining([
      expect.objectContaining({ dst: '10.1.0.9', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] }),
      expect.objectContaining({ dst: 'fd01::9', lladdr: '02:00:00:00:00:99' }),
    ]));
    // Replace semantics: the same ip gets a new mac, no EEXIST.
    host.nl.neighSet({ index: a, ip: '10.1.0.9', mac: '02:00:00:00:00:0a', state: NUD_REACHABLE });
    expect(host.nl.neighList({ family: 4, index: a }).filter((n) => n.ip === '10.1.0.9')).toEqual([
      expect.objectContaining({ mac: '02:00:00:00:00:0a', state: NUD_REACHABLE }),
    ]);
    expect(host.nl.neighList({ family: 6 }).every((n) => n.family === 6)).toBe(true);
    host.nl.neighDel({ index: a, ip: '10.1.0.9' });
    host.nl.neighDel({ index: a, ip: 'fd01::9' });
    expect(host.ip(['neigh', 'show', 'dev', 'a0']).filter((n: any) => n.dst === '10.1.0.9' || n.dst === 'fd01::9')).toEqual([]);
    expect(host.nl.neighList({ index: a }).filter((n) => n.ip === '10.1.0.9')).toEqual([]);
    expectNlError(() => host.nl.neighDel({ index: a, ip: '10.1.0.9' }), 'ENOENT');
  });

  it('rejects bad input before asking the kernel', () => {
    expectNlError(() => host.nl.neighSet({ index: a, ip: '10.1.0', mac: '02:00:00:00:00:09' }), 'EINVAL');
    expectNlError(() => host.nl.neighSet({ index: a, ip: '10.1.0.9', mac: '02:00:00:00:09' }), 'EINVAL');
    expectNlError(() => host.nl.neighSet({ index: 99999, ip: '10.1.0.9', mac: '02:00:00:00:00:09' }), 'ENODEV');
  });
});

describe('forwarding database', () => {
  it('appends 00:00:00:00:00:00 entries with a dst on a vxlan (head-end replication list)', () => {
    host.nl.fdbAppend({ index: vx, mac: '00:00:00:00:00:00', dst: '10.1.0.2' });
    host.nl.fdbAppend({ index: vx, mac: '00:00:00:00:00:00', dst: '10.1.0.3' });
    const ours = host.nl.fdbList(vx).filter((n) => n.mac === '00:00:00:00:00:00');
    expect(ours.map((n) => n.dst).sort()).toEqual(['10.1.0.2', '10.1.0.3']);
    expect(ours.every((n) => n.family === 7 && n.index === vx && n.flags & NTF_SELF && n.state === (NUD_PERMANENT | NUD_NOARP))).toBe(true);
    const br = host.bridge(['fdb', 'show', 'dev', 'vx0']).filter((e: any) => e.mac === '00:00:00:00:00:00');
    expect(br.map((e: any) => e.dst).sort()).toEqual(['10.1.0.2', '10.1.0.3']);
    expect(br[0]).toMatchObject({ state: 'permanent', flags: ['self'] });
    // Deleting one destination leaves the other.
    host.nl.fdbDel({ index: vx, mac: '00:00:00:00:00:00', dst: '10.1.0.2' });
    expect(host.bridge(['fdb', 'show', 'dev', 'vx0']).filter((e: any) => e.mac === '00:00:00:00:00:00').map((e: any) => e.dst)).toEqual(['10.1.0.3']);
  });

  it('replaces a unicast vxlan entry with a vni and a new dst', () => {
    host.nl.fdbReplace({ index: vx, mac: '02:00:00:00:00:77', dst: '10.1.0.7' });
    host.nl.fdbReplace({ index: vx, mac: '02:00:00:00:00:77', dst: '10.1.0.8', vni: 42 });
    const e = host.bridge(['fdb', 'show', 'dev', 'vx0']).filter((x: any) => x.mac === '02:00:00:00:00:77');
    expect(e).toEqual([expect.objectContaining({ dst: '10.1.0.8' })]);
    expect(host.nl.fdbList(vx).filter((n) => n.mac === '02:00:00:00:00:77')).toEqual([expect.objectContaining({ dst: '10.1.0.8' })]);
    host.nl.fdbDel({ index: vx, mac: '02:00:00:00:00:77' });
    expect(host.nl.fdbList(vx).some((n) => n.mac === '02:00:00:00:00:77')).toBe(false);
  });

  it('adds a static entry to a bridge (master) and sees it with its master', () => {
    host.nl.linkAdd({ name: 'br0', kind: 'bridge' });
    const br = host.nl.linkByName('br0')!.index;
    host.nl.linkSetMaster(a, br);
    host.nl.fdbReplace({ index: a, mac: '02:00:00:00:00:55', master: true });
    const ours = host.nl.fdbList(a).find((n) => n.mac === '02:00:00:00:00:55');
    expect(ours).toMatchObject({ index: a, master: br });
    expect(ours!.flags & NTF_MASTER).toBeFalsy(); // the bridge reports its entries without NTF_MASTER
    const shown = host.bridge(['fdb', 'show', 'dev', 'a0']).find((e: any) => e.mac === '02:00:00:00:00:55');
    expect(shown).toMatchObject({ master: 'br0', state: 'permanent' });
    host.nl.fdbDel({ index: a, mac: '02:00:00:00:00:55', master: true });
    expect(host.bridge(['fdb', 'show', 'dev', 'a0']).some((e: any) => e.mac === '02:00:00:00:00:55')).toBe(false);
  });

  it('lists every device when no index is given, and never mixes in ARP entries', () => {
    host.nl.neighSet({ index: a, ip: '10.1.0.9', mac: '02:00:00:00:00:09' });
    host.nl.fdbAppend({ index: vx, mac: '00:00:00:00:00:00', dst: '10.1.0.2' });
    const all = host.nl.fdbList();
    expect(all.every((n) => n.family === 7)).toBe(true);
    expect(all.some((n) => n.index === vx && n.dst === '10.1.0.2')).toBe(true);
    expect(host.nl.neighList().every((n) => n.family !== 7)).toBe(true);
  });

  it('reports ENOENT deleting a missing entry', () => {
    expectNlError(() => host.nl.fdbDel({ index: vx, mac: '02:00:00:00:00:01', dst: '10.1.0.2' }), 'ENOENT');
    expectNlError(() => host.nl.fdbAppend({ index: vx, mac: 'bad' }), 'EINVAL');
  });
});
