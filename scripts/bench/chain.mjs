// A minimal libcni-style chain runner for benchmarks: spawns each plugin of a conflist with the
// CNI env and the injected name/cniVersion/prevResult/runtimeConfig, the same way for our
// plugins and the reference ones, so only the plugins' own cost differs between them.
import { spawn } from 'node:child_process';
import path from 'node:path';

function execPlugin(dir, conf, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(dir, conf.type), [], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
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

export async function chainAdd(dir, list, { containerId, netns, ifname = 'eth0', caps = {} }) {
  let prev;
  for (const p of list.plugins) {
    prev = await execPlugin(dir, pluginConf(list, p, prev, caps), {
      CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_PATH: dir,
    });
  }
  return prev;
}

export async function chainDel(dir, list, { containerId, netns, ifname = 'eth0', caps = {}, prevResult }) {
  for (const p of [...list.plugins].reverse()) {
    await execPlugin(dir, pluginConf(list, p, prevResult, caps), {
      CNI_COMMAND: 'DEL', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_PATH: dir,
    });
  }
}
