// Writing a network config into a config directory the way a runtime may read it at any moment:
// a temp file (whose extension no loader picks up) renamed over the target, so a reader sees the
// old file or the whole new one, never half of it. 0644 like every file in /etc/cni/net.d.
import fs from 'node:fs';
import path from 'node:path';

export function conflistPath(dir: string, network: string): string {
  return path.join(dir, `${network}.conflist`);
}

export function writeConflistFile(file: string, json: object): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, JSON.stringify(json, null, 2) + '\n', { mode: 0o644 });
    // The umask may have taken bits away.
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
