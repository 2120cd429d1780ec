import { describe, expect, it } from 'vitest';
import { RawJson, goIndent, goJson, goList, goQuote, goString } from '../../../shared/runtime/go-json';

describe('goJson (Go encoding/json rendering)', () => {
  it('sorts map keys at every depth, like a Go map', () => {
    expect(goJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: true } })).toBe('{"a":{"c":true,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('keeps insertion order for struct-shaped values', () => {
    expect(goJson({ kind: 'k', containerId: 'c' }, { sortKeys: false })).toBe('{"kind":"k","containerId":"c"}');
  });

  it('escapes HTML characters and line separators as Go does', () => {
    expect(goString('a<b>&c\u2028"\\\n\x01')).toBe('"a\\u003cb\\u003e\\u0026c\\u2028\\"\\\\\\n\\u0001"');
  });

  it('drops undefined fields (omitempty) and renders buffers as base64', () => {
    expect(goJson({ a: undefined, b: Buffer.from('hi') })).toBe('{"b":"aGk="}');
  });

  it('embeds pre-rendered JSON verbatim', () => {
    expect(goJson({ x: new RawJson('{"z":1,"a":2}') })).toBe('{"x":{"z":1,"a":2}}');
  });

  it('indents like MarshalIndent: empty containers stay inline, strings untouched', () => {
    const v = { a: [], b: {}, c: [1, { d: 'x,{y}:' }] };
    expect(goIndent(goJson(v), '    ')).toBe(JSON.stringify(v, null, 4));
  });

  it('quotes like %q and lists like %v', () => {
    expect(goQuote('a"b\n\x07\x00')).toBe('"a\\"b\\n\\a\\x00"');
    expect(goList(['/a', '/b'])).toBe('[/a /b]');
  });
});
