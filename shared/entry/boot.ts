// The executable's main (scripts/build.mjs): a few kilobytes that pick the role and run only that
// role's bundle, stored as an SEA asset with a V8 code cache made at build time. A call thus
// compiles and initialises nothing it does not use: no other plugin, and no etcd/gRPC client
// unless the role asks for it (it is a chunk of its own, loaded on first require).
import { getRawAsset } from 'node:sea';
import vm from 'node:vm';
import { trace } from '../cni/trace';
import { roleOf, runRole, usage, type RoleKind, type RoleModule } from './multicall';

declare const __TSCNI_ROLES__: Record<string, RoleKind>;
declare const __TSCNI_CHUNKS__: readonly string[];

const chunks = new Map<string, unknown>();

// getRawAsset, not getAsset: the asset as mapped in the executable instead of a copy of it
// (~0.6 MB less memory per call for a bundle and its code cache, which are only read).
function assetOrUndefined(name: string): ArrayBuffer | undefined {
  try {
    return getRawAsset(name);
  } catch {
    return undefined;
  }
}

/** Runs a CommonJS-wrapped bundle from the assets; its code cache saves the compile. */
function loadBundle(name: string): unknown {
  const source = Buffer.from(getRawAsset(`${name}.js`)).toString('utf8');
  const cache = assetOrUndefined(`${name}.cache`);
  const script = new vm.Script(source, { filename: `tscni:${name}.js`, cachedData: cache && Buffer.from(cache) });
  if (cache && script.cachedDataRejected) trace(`entry: code cache of ${name} rejected (compiling instead)`);
  const module = { exports: {} as unknown };
  type Wrapper = (exports: unknown, req: (id: string) => unknown, module: { exports: unknown }, filename: string, dirname: string) => void;
  // A directory that does not exist: the etcd client's .proto files are served from the bundle
  // when it looks for them next to itself (shared/overlay/store/etcd.ts).
  (script.runInThisContext() as Wrapper)(module.exports, requireInBundle, module, `/tscni/${name}.js`, '/tscni');
  return module.exports;
}

function requireInBundle(id: string): unknown {
  if (!__TSCNI_CHUNKS__.includes(id)) return require(id);
  if (!chunks.has(id)) {
    trace(`entry: loading chunk ${id}`);
    chunks.set(id, loadBundle(id));
  }
  return chunks.get(id);
}

export function boot(): void {
  const { role, rest } = roleOf(process.argv0, process.argv.slice(2), Object.keys(__TSCNI_ROLES__));
  if (!role) {
    process.stderr.write(usage(__TSCNI_ROLES__));
    process.exit(2);
  }
  void runRole(role, () => loadBundle(role) as RoleModule, rest);
}
