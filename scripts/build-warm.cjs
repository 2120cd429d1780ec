// Run by scripts/build.mjs with the Node 22 of the executable, once per role or chunk:
//   node22 build-warm.cjs DIR NAME KIND EXAMPLES [DRILL_JSON]
// Compiles DIR/NAME.js as shared/entry/boot.ts will, runs what a call of the role runs, and writes
// DIR/NAME.cache: V8's code cache then holds every function compiled so far, which a call of the
// role no longer compiles. What runs (never anything outside a throwaway namespace):
//   - module initialisation (not for chunks: the etcd client reads files when it initialises);
//   - main() with CNI_COMMAND=VERSION and no arguments: a plugin must answer VERSION (stdout is
//     checked by the build), a tool keeps its own command line;
//   - plugins: their schema over every conf-examples entry of their type (parsing only);
//   - DRILL_JSON, when the build runs as root: CNI calls through the plugin skeleton with the
//     given env and config, inside the throwaway host netns the build made (ADD then DEL, so the
//     code of those verbs is compiled too). "$ADD" as prevResult stands for the ADD's result.
'use strict';
const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');

const [dir, name, kind, examples, drillJson] = process.argv.slice(2);
const script = new vm.Script(fs.readFileSync(path.join(dir, `${name}.js`), 'utf8'), { filename: `tscni:${name}.js` });
const done = () => fs.writeFileSync(path.join(dir, `${name}.cache`), script.createCachedData());

function parseExamples(plugin) {
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of walk(examples).filter((x) => /\.conf(list)?$/.test(x))) {
    let list;
    try {
      list = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    for (const p of list.plugins ?? [list]) if (p.type === name) plugin.schema.safeParse({ ...p, name: list.name, cniVersion: list.cniVersion });
  }
}

async function drill(exports, plugin, calls) {
  let added;
  for (const c of calls) {
    const conf = c.conf.prevResult === '$ADD' ? { ...c.conf, prevResult: added } : c.conf;
    let out = '';
    let err = '';
    const io = { env: c.env, stdin: () => Buffer.from(JSON.stringify(conf)), stdout: (s) => (out += s), stderr: (s) => (err += s) };
    const code = await exports.__runPlugin(plugin, io);
    if (code !== 0) throw new Error(`${name} ${c.env.CNI_COMMAND} during the code-cache drill failed: ${out}${err}`);
    if (c.env.CNI_COMMAND === 'ADD') added = JSON.parse(out);
  }
}

async function warm() {
  if (kind === 'chunk') return done();
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, `/tscni/${name}.js`, '/tscni');
  const code = await module.exports.main([]);
  if (kind !== 'plugin') return done();
  if (code !== 0) throw new Error(`VERSION exit ${code}`);
  const plugin = Object.values(module.exports).find((v) => v && typeof v === 'object' && v.name === name && v.schema);
  if (plugin) {
    parseExamples(plugin);
    if (drillJson) await drill(module.exports, plugin, JSON.parse(drillJson));
  }
  done();
}

warm().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
