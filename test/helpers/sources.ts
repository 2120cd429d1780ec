// The TypeScript sources the source-scanning unit tests read (snapshot safety, layering).
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** Every .ts file below `dir` (absolute), depth first. */
export function tsSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsSources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}
