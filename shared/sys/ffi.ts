// Loads koffi's native addon directly (not through koffi's JS wrapper) so that the same code
// works under plain Node (tests) and inside the single-executable build, where the addon travels
// as an SEA asset and must be written to a real file before dlopen can map it.
import fs from 'node:fs';
import path from 'node:path';

export interface KoffiLib {
  func(signature: string): (...args: unknown[]) => any;
}
export interface Koffi {
  load(lib: string): KoffiLib;
  errno(value?: number): number;
  version: string;
}

let cached: Koffi | undefined;

declare const __TSCNI_SEA__: boolean | undefined;
declare const __TSCNI_ROOT__: string | undefined;
// Set by the build from the addon's bytes, so a start-up never hashes or copies 1 MB it already wrote.
declare const __KOFFI_DIGEST__: string;
declare const __KOFFI_SIZE__: number;

function isSea(): boolean {
  if (typeof __TSCNI_SEA__ !== 'undefined' && __TSCNI_SEA__) return true;
  return false;
}

// Root-owned, tmpfs-backed by default: rewritten once per boot, never world-writable.
export function nativeCacheDir(): string {
  const env = process.env.TSCNI_NATIVE_DIR;
  if (env) return env;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return uid === 0 ? '/run/tscni' : path.join(process.env.XDG_RUNTIME_DIR || '/tmp', `tscni-${uid}`);
}

function materialiseSeaAddon(): string {
  const dir = nativeCacheDir();
  const file = path.join(dir, `koffi-${__KOFFI_DIGEST__}.node`);
  const uid = process.getuid?.() ?? 0;
  try {
    const st = fs.statSync(file);
    // Same name (content digest) and size, ours, and not writable by anyone else: safe to map.
    if (st.size === __KOFFI_SIZE__ && st.uid === uid && (st.mode & 0o022) === 0) return file;
  } catch {
    /* not there yet */
  }
  // Only reached inside the Node 22 executable, where getBuiltinModule exists.
  const sea = (process as any).getBuiltinModule('node:sea') as { getAsset(name: string): ArrayBuffer };
  const bytes = Buffer.from(sea.getAsset('koffi.node'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes, { mode: 0o500 });
  fs.renameSync(tmp, file);
  return file;
}

function devAddonPath(): string {
  // A dev bundle may live outside the repo (e.g. /tmp): resolve from the repo it was built from.
  const base = typeof __TSCNI_ROOT__ !== 'undefined' && __TSCNI_ROOT__ ? path.join(__TSCNI_ROOT__, 'package.json') : import.meta.url;
  const { createRequire } = (process as any).getBuiltinModule('node:module') as typeof import('node:module');
  const req = createRequire(base);
  const pkgJson = req.resolve('@koromix/koffi-linux-x64/package.json');
  return path.join(path.dirname(pkgJson), 'linux_x64', 'koffi.node');
}

export function koffi(): Koffi {
  if (cached) return cached;
  const file = isSea() ? materialiseSeaAddon() : devAddonPath();
  const mod = { exports: {} as Koffi };
  process.dlopen(mod, file);
  cached = mod.exports;
  return cached;
}
