import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findInPath, splitCniPath } from '../../../shared/runtime/plugin-lookup';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thn-lookup-'));
const a = path.join(tmp, 'a');
const b = path.join(tmp, 'b');
fs.mkdirSync(a);
fs.mkdirSync(b);
fs.mkdirSync(path.join(a, 'bridge')); // a directory named like a plugin is skipped
fs.writeFileSync(path.join(b, 'bridge'), '#!/bin/sh\n', { mode: 0o755 });
fs.writeFileSync(path.join(a, 'real'), '#!/bin/sh\n', { mode: 0o755 });
fs.symlinkSync('real', path.join(a, 'linked'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('plugin lookup on CNI_PATH', () => {
  it('returns the first regular file, skipping directories', () => {
    expect(findInPath('bridge', [a, b])).toBe(path.join(b, 'bridge'));
  });

  it('follows links (multi-call executables are installed as links)', () => {
    expect(findInPath('linked', [a])).toBe(path.join(a, 'linked'));
  });

  it('rejects path separators, empty names and empty paths with libcni messages', () => {
    expect(() => findInPath('../real', [a])).toThrow('invalid plugin name: ../real');
    expect(() => findInPath('', [a])).toThrow('no plugin name provided');
    expect(() => findInPath('real', [])).toThrow('no paths provided');
    expect(() => findInPath('nope', [a, b])).toThrow(`failed to find plugin "nope" in path [${a} ${b}]`);
  });

  it('splits CNI_PATH and drops empty entries', () => {
    expect(splitCniPath('/x::/y')).toEqual(['/x', '/y']);
    expect(splitCniPath('')).toEqual([]);
    expect(splitCniPath(undefined)).toEqual([]);
  });
});
