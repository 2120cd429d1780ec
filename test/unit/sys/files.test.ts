import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { overwriteSync } from '../../../shared/sys/files';

describe('overwriteSync', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-files-'));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('leaves exactly the new text, shorter or longer than the old, in the same inode', () => {
    const file = path.join(dir, 'last_reserved_ip.0');
    fs.writeFileSync(file, '10.0.0.100');
    const ino = fs.statSync(file).ino;
    for (const text of ['10.0.0.9', '10.0.0.254', '', 'fd00::1234:5678']) {
      const fd = fs.openSync(file, fs.constants.O_WRONLY);
      try {
        overwriteSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
      expect(fs.statSync(file).ino).toBe(ino);
    }
  });
});
