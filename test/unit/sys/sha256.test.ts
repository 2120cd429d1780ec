import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../shared/sys/sha256';

const reference = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('sha256Hex (owner index directory names)', () => {
  it('matches node:crypto at the block boundaries and for non-ASCII keys', () => {
    for (const s of ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(119), 'é€😀\r\neth0', 'c0\r\neth0']) {
      expect(sha256Hex(s), JSON.stringify(s)).toBe(reference(s));
    }
  });
  it('gives the FIPS 180-4 example digest of "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('matches node:crypto for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => sha256Hex(s) === reference(s)));
  });
});
