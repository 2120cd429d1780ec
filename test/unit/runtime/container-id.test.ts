import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { absoluteNetns, containerIdFromNetns, goGetwd } from '../../../shared/runtime/container-id';

describe('container id derived from the netns path', () => {
  it('matches the id the Go cnitool derived (test/unit/runtime/fixtures.ts)', () => {
    expect(containerIdFromNetns('/run/netns/anch-ctr')).toBe('cnitool-a5831365d127c410296b');
  });

  it('makes a relative path absolute against the working directory first', () => {
    expect(absoluteNetns('anch-ctr', '/run/netns')).toBe('/run/netns/anch-ctr');
    expect(containerIdFromNetns('../netns/anch-ctr', '/run/x')).toBe('cnitool-a5831365d127c410296b');
    expect(containerIdFromNetns('x')).toBe(containerIdFromNetns(path.join(process.cwd(), 'x')));
  });

  it('differs per path and is a valid CNI container id', () => {
    const a = containerIdFromNetns('/run/netns/a');
    expect(a).not.toBe(containerIdFromNetns('/run/netns/b'));
    expect(a).toMatch(/^cnitool-[0-9a-f]{20}$/);
  });
});

describe('working directory as Go reports it', () => {
  it('uses $PWD only when it names the current directory', () => {
    expect(goGetwd({ PWD: process.cwd() })).toBe(process.cwd());
    expect(goGetwd({ PWD: '/nonexistent-dir' })).toBe(process.cwd());
    expect(goGetwd({ PWD: 'relative' })).toBe(process.cwd());
    expect(goGetwd({})).toBe(process.cwd());
  });
});
