// ingressPolicy belongs to the attachment that asked for it, on both backends: networks with
// different policies share one bridge (one subnet, split ranges), containers join and leave in
// both orders, and real TCP in both directions shows that nobody's ADD or DEL changes a live
// neighbour's policy. Last, with everything deleted, nothing per container is left and a fresh
// pair behaves as its own policy says.
import { describe, expect, it } from 'vitest';
import { worldPerTest, type Attachment, type BackendName, type World } from './world';

const PORT = 7171;
const newWorld = worldPerTest();

/** A world whose `auto` picks `backend`, with networks of every policy on shared bridges. */
function world(backend: BackendName): World {
  const w = newWorld(backend);
  // One bridge, one subnet, three networks with their own range and policy; a second bridge.
  w.writeNetwork({ name: 'sb', bridge: 'trtb1', n: 21, range: [10, 19], firewall: { ingressPolicy: 'same-bridge' } });
  w.writeNetwork({ name: 'iso', bridge: 'trtb1', n: 21, range: [20, 29], firewall: { ingressPolicy: 'isolated' } });
  w.writeNetwork({ name: 'op', bridge: 'trtb1', n: 21, range: [30, 39] });
  w.writeNetwork({ name: 'sb2', bridge: 'trtb2', n: 22, firewall: { ingressPolicy: 'same-bridge' } });
  w.writeNetwork({ name: 'op2', bridge: 'trtb3', n: 23 });
  return w;
}

async function join(w: World, net: string): Promise<Attachment> {
  const a = w.attach(net);
  await w.serve(a, PORT);
  return a;
}

const talks = (w: World, from: Attachment, to: Attachment): boolean => w.reaches(from.netns, to.v4, PORT);

/** Per-container state left in the backend (our owned entries), whoever owns it. */
function ownedState(w: World, backend: BackendName): string[] {
  if (backend === 'nftables') {
    const sets = ['own4', 'own6', 'own_br', 'isolated4', 'isolated6', 'samebr4', 'samebr6', 'samebr_ok4', 'samebr_ok6', 'ctr4', 'ctr6', 'ctr_br', 'policy_br'];
    return sets.flatMap((s) => w.nftSet(s).map((e) => `${s} ${e.key}`));
  }
  return w.iptablesSave().split('\n').filter((l) => /^-A CNI-(FORWARD|INGRESS)/.test(l) && l.includes('ifname'));
}

function expectBackend(w: World, backend: BackendName): void {
  if (backend === 'nftables') expect(w.nftSet('own4').length).toBeGreaterThan(0);
  else expect(w.nftTable()).toEqual([]);
}

describe.each(['nftables', 'iptables'] as const)('ingressPolicy per attachment (%s)', (backend) => {
  it('an isolated container joining a same-bridge bridge isolates itself only; later ADDs and DELs do not lift it', async () => {
    const w = world(backend);
    const s1 = await join(w, 'sb');
    const s2 = await join(w, 'sb');
    const o = await join(w, 'op');
    expectBackend(w, backend);
    expect(talks(w, s1, s2)).toBe(true);
    expect(talks(w, s2, s1)).toBe(true);

    const i = await join(w, 'iso');
    // the neighbours' policy is theirs: same-bridge pairs and the open one still talk
    expect(talks(w, s1, s2)).toBe(true);
    expect(talks(w, s2, s1)).toBe(true);
    expect(talks(w, o, s1)).toBe(true);
    expect(talks(w, s1, o)).toBe(true);
    // the isolated one takes nothing from its bridge, in either direction
    expect(talks(w, s1, i)).toBe(false);
    expect(talks(w, o, i)).toBe(false);
    expect(talks(w, i, s1)).toBe(false);

    // from another bridge: same-bridge and isolated containers refuse, the open one accepts
    const x = await join(w, 'sb2');
    expect(talks(w, x, s1)).toBe(false);
    expect(talks(w, x, i)).toBe(false);
    expect(talks(w, x, o)).toBe(true);

    // a later same-bridge ADD and a neighbour's DEL leave the isolation in place
    const s3 = await join(w, 'sb');
    w.detach('sb', s2);
    expect(talks(w, s3, i)).toBe(false);
    expect(talks(w, s1, s3)).toBe(true);
    expect(talks(w, s3, s1)).toBe(true);
    for (const [net, a] of [['sb', s1], ['sb', s3], ['iso', i], ['op', o], ['sb2', x]] as const) expect(w.cnitool(['check', net, a.path]).code, net).toBe(0);
  }, 300_000);

  it('isolated first, then same-bridge; all deleted leaves nothing per container; a fresh pair follows its own policy', async () => {
    const w = world(backend);
    const i1 = await join(w, 'iso');
    const i2 = await join(w, 'iso');
    const s1 = await join(w, 'sb');
    const s2 = await join(w, 'sb');
    expect(talks(w, s1, s2)).toBe(true);
    expect(talks(w, s2, s1)).toBe(true);
    expect(talks(w, i1, i2)).toBe(false);
    expect(talks(w, s1, i1)).toBe(false);
    expect(talks(w, i2, s2)).toBe(false);
    // an open container on another bridge reaches the same-bridge ones (their networks opted in
    // to isolation from each other only, as with the reference) but not the isolated one
    const p = await join(w, 'op2');
    expect(talks(w, p, s1)).toBe(true);
    expect(talks(w, p, i1)).toBe(false);

    w.detach('iso', i1);
    w.detach('iso', i2);
    expect(talks(w, s1, s2)).toBe(true);
    expect(talks(w, s2, s1)).toBe(true);
    for (const [net, a] of [['sb', s1], ['sb', s2], ['op2', p]] as const) w.detach(net, a);
    expect(ownedState(w, backend)).toEqual([]);

    const f1 = await join(w, 'sb');
    const f2 = await join(w, 'sb');
    expect(talks(w, f1, f2)).toBe(true);
    expect(talks(w, f2, f1)).toBe(true);
    const j1 = await join(w, 'iso');
    const j2 = await join(w, 'iso');
    expect(talks(w, j1, j2)).toBe(false);
    expect(talks(w, f1, j1)).toBe(false);
    for (const [net, a] of [['sb', f1], ['sb', f2], ['iso', j1], ['iso', j2]] as const) w.detach(net, a);
    expect(ownedState(w, backend)).toEqual([]);
  }, 300_000);
});
