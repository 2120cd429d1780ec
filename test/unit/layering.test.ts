// Each role's folder belongs to that role alone: what two roles need lives in shared/, which in
// turn never reaches up into plugins/ (shared/README.md). Without this check a cross-role import
// compiles, bundles and passes every other test, so it would come back unnoticed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tsSources } from '../helpers/sources';

const root = repoRoot;

/** Module specifiers of static imports and re-exports, type-only ones included, and of import()/require(). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^']+)'/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s*'([^']+)'/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The files a source file (path relative to the root) imports that break the rule, as "what → target". */
function violations(rel: string, text: string): string[] {
  const [top, role] = rel.split('/');
  const bad: string[] = [];
  for (const spec of specifiers(text)) {
    if (!spec.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
    const [ttop, trole] = target.split('/');
    if (ttop !== 'plugins') continue;
    if (top === 'shared') bad.push(`${rel} → ${target} (shared/ imports a role's folder)`);
    else if (top === 'plugins' && trole !== role) bad.push(`${rel} → ${target} (role ${role} imports role ${trole})`);
  }
  return bad;
}

describe('no role imports another role’s folder, shared/ imports none', () => {
  it('catches what it is meant to catch', () => {
    const crossRole = [
      "import { bridge } from '../bridge/index';",
      "import type { BridgeConf } from '../bridge/config';",
      "export { x } from '../bridge/gateway';",
      "import {\n  a,\n  b,\n} from '../bridge/config';",
      "const m = await import('../bridge/index');",
    ];
    for (const text of crossRole) expect(violations('plugins/vxlan/add.ts', text), text).toHaveLength(1);
    expect(violations('plugins/cnitool/create/validate.ts', "import { s } from '../../bridge/config';")).toHaveLength(1);
    expect(violations('shared/overlay/host.ts', "import { s } from '../../plugins/vxlan/add';")).toHaveLength(1);
    // Within one role, and into shared/ or node_modules, is fine.
    expect(violations('plugins/cnitool/commands/network-rm.ts', "import { p } from '../create/flags';\nimport { t } from '../../../shared/overlay/host';\nimport { z } from 'zod';")).toEqual([]);
  });

  it('holds for plugins/ and shared/', () => {
    const files = [...tsSources(path.join(root, 'plugins')), ...tsSources(path.join(root, 'shared'))];
    expect(files.length).toBeGreaterThan(20);
    const bad = files.flatMap((f) => {
      const rel = path.relative(root, f).split(path.sep).join('/');
      return violations(rel, fs.readFileSync(f, 'utf8'));
    });
    expect(bad).toEqual([]);
  });
});
