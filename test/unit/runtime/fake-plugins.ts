// Tiny stand-in plugins (real processes speaking the CNI protocol) that record what the
// runtime sent them, so the runtime's side of the protocol can be asserted exactly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const name = path.basename(process.argv[1]);
const stdin = fs.readFileSync(0, 'utf8');
const log = process.env.FAKE_LOG;
const seq = fs.readdirSync(log).length;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_')));
fs.writeFileSync(path.join(log, String(seq).padStart(3, '0') + '-' + name + '-' + process.env.CNI_COMMAND + '.json'), JSON.stringify({ stdin, env }));
const fail = process.env['FAKE_FAIL_' + name.toUpperCase()];
if (fail && fail.split(',').includes(process.env.CNI_COMMAND)) {
  process.stdout.write(JSON.stringify({ code: 11, msg: name + ' failed', details: 'on purpose' }));
  process.exit(1);
}
if (process.env.CNI_COMMAND === 'ADD') {
  const conf = JSON.parse(stdin);
  const prev = conf.prevResult || { cniVersion: conf.cniVersion, ips: [{ address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 }] };
  prev.interfaces = [...(prev.interfaces || []), { name: name + '0', sandbox: process.env.CNI_NETNS }];
  process.stdout.write(JSON.stringify(prev));
  process.stderr.write(name + ' says hi\\n');
}
`;

export interface Call {
  plugin: string;
  command: string;
  stdin: string;
  conf: Record<string, any>;
  env: Record<string, string>;
}

export class FakePlugins {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'thn-fake-'));
  readonly bin = path.join(this.root, 'bin');
  readonly log = path.join(this.root, 'log');
  readonly cache = path.join(this.root, 'cache');

  constructor(names: string[]) {
    fs.mkdirSync(this.bin);
    fs.mkdirSync(this.log);
    for (const n of names) this.add(n, SCRIPT);
  }

  add(name: string, script: string): string {
    const p = path.join(this.bin, name);
    fs.writeFileSync(p, script, { mode: 0o755 });
    return p;
  }

  calls(): Call[] {
    return fs
      .readdirSync(this.log)
      .sort()
      .map((f) => {
        const { stdin, env } = JSON.parse(fs.readFileSync(path.join(this.log, f), 'utf8'));
        const [, plugin, command] = f.replace(/\.json$/, '').split('-');
        return { plugin: plugin!, command: command!, stdin, conf: JSON.parse(stdin), env };
      });
  }

  reset(): void {
    for (const f of fs.readdirSync(this.log)) fs.rmSync(path.join(this.log, f));
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
