import { describe, expect, it } from 'vitest';
import { randomVethName } from '../../../shared/link/random-name';

describe('randomVethName', () => {
  it('is the prefix and 8 hex characters, as the reference names host-side veths', () => {
    expect(randomVethName()).toMatch(/^veth[0-9a-f]{8}$/);
    expect(randomVethName('tap')).toMatch(/^tap[0-9a-f]{8}$/);
  });
  it('draws fresh bytes per call', () => {
    const names = new Set(Array.from({ length: 200 }, () => randomVethName()));
    // 200 draws from 2^32 collide with probability ~5e-6.
    expect(names.size).toBe(200);
  });
});
