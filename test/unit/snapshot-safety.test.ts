// The build runs every role's module initialisation once, at build time, to make its V8 code
// cache (scripts/build.mjs), and a start-up snapshot stays an option the bench may bring back: in
// a snapshot, whatever a module computes at load time is frozen into the binary. So module
// initialisation must not read the environment or load builtins that cost milliseconds or that
// a snapshot cannot carry (use shared/sys/builtins.ts).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tsSources } from '../helpers/sources';

const root = repoRoot;

const files = [...tsSources(path.join(root, 'shared')), ...tsSources(path.join(root, 'plugins'))];

describe('snapshot safety of module initialisation', () => {
  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });
  for (const f of files) {
    const rel = path.relative(root, f);
    it(rel, () => {
      const text = fs.readFileSync(f, 'utf8');
      const topLevel = text.split('\n').filter((l) => /^(export )?(const|let|var) /.test(l));
      expect(topLevel.filter((l) => !l.includes('=>') && /process\.(env|pid|argv|cwd)|Date\.now\(|new SharedArrayBuffer/.test(l)), 'module-level per-process state').toEqual([]);
      const imports = text.split('\n').filter((l) => /^import .* from 'node:(child_process|module|net|dgram|worker_threads)'/.test(l) && !/^import type /.test(l));
      expect(imports, 'builtins the snapshot cannot carry: use shared/sys/builtins.ts').toEqual([]);
    });
  }
});
