// A minimal libcni-style chain runner for benchmarks: spawns each plugin of a conflist with the
// CNI env and the injected name/cniVersion/prevResult/runtimeConfig, the same way for our
// plugins and the reference ones, so only the plugins' own cost differs between them.
//
// With `observe` (an array), each call runs under GNU time with TSCNI_TRACE=1 and is recorded as
// { type, command, ms, rssKB, trace }: its peak RSS and our phase timings (reference plugins
// print none).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function execPlugin(dir, conf, env, observe) {
  return new Promise((resolve, reject) => {
    const plugin = path.join(dir, conf.type);
    const rssFile = observe ? path.join(os.tmpdir(), `tscni-bench-rss-${process.pid}-${observe.length}`) : '';
    const argv = observe ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, plugin]] : [plugin, []];
    const extra = observe ? { TSCNI_TRACE: '1' } : {};
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv[1], { env: { ...process.env, ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (observe) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        let rssKB = NaN;
        try {
          rssKB = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
          fs.rmSync(rssFile, { force: true });
        } catch {
          /* no GNU time output */
        }
        const trace = err.split('\n').filter((l) => l.startsWith('trace '));
        observe.push({ type: conf.type, command: env.CNI_COMMAND, ms, rssKB, trace });
      }
      if (code === 0) resolve(out ? JSON.parse(out) : undefined);
      else reject(new Error(`${conf.type} ${env.CNI_COMMAND} failed (${code}): ${out}${err}`));
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

function pluginConf(list, p, prevResult, caps) {
  const conf = { ...p, name: list.name, cniVersion: list.cniVersion };
  if (prevResult) conf.prevResult = prevResult;
  const rc = {};
  for (const [k, on] of Object.entries(p.capabilities ?? {})) if (on && caps[k] !== undefined) rc[k] = caps[k];
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  return conf;
}

export async function chainAdd(dir, list, { containerId, netns, ifname = 'eth0', caps = {} }, observe) {
  let prev;
  for (const p of list.plugins) {
    prev = await execPlugin(dir, pluginConf(list, p, prev, caps), {
      CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_PATH: dir,
    }, observe);
  }
  return prev;
}

export async function chainDel(dir, list, { containerId, netns, ifname = 'eth0', caps = {}, prevResult }, observe) {
  for (const p of [...list.plugins].reverse()) {
    await execPlugin(dir, pluginConf(list, p, prevResult, caps), {
      CNI_COMMAND: 'DEL', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_PATH: dir,
    }, observe);
  }
}
