import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainProblem, labelProblem, sameName } from '../../../shared/dns';

describe('labelProblem', () => {
  it.each(['web', 'custom_bbox02', 'a', 'A-1', '_srv', 'x'.repeat(63), '0abc'])('accepts %s', (n) => {
    expect(labelProblem(n)).toBeUndefined();
  });
  it.each([
    ['', /empty/],
    ['x'.repeat(64), /64 characters/],
    ['a.b', /dot/],
    ['-web', /must not start or end/],
    ['web-', /must not start or end/],
    ['we b', /only letters/],
    ['wéb', /only letters/],
    ['a/b', /only letters/],
  ])('refuses %j', (n, why) => {
    expect(labelProblem(n)).toMatch(why);
  });
  it('accepts exactly the strings of the label alphabet with no edge hyphen (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,63}$/), (s) => {
        expect(labelProblem(s) === undefined).toBe(!s.startsWith('-') && !s.endsWith('-'));
      }),
    );
  });
});

describe('domainProblem', () => {
  it.each(['dns.podman', 'example.com.', 'a'])('accepts %s', (d) => expect(domainProblem(d)).toBeUndefined());
  it.each([
    ['', /empty/],
    ['a..b', /label "": it is empty/],
    ['x-.com', /label "x-"/],
    [`${'a'.repeat(60)}.`.repeat(5), /at most 253/],
  ])('refuses %j', (d, why) => expect(domainProblem(d)).toMatch(why));
});

it('sameName ignores ASCII case', () => {
  expect(sameName('Web', 'wEB')).toBe(true);
  expect(sameName('web', 'web2')).toBe(false);
});
