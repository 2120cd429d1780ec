// Which firewall backend to use. The rule for "auto" (documented in the README): nftables when an
// `nft` executable is found, else iptables. Finding the binary costs no process start; whether
// the kernel accepts it is what STATUS checks (backendStatus).
import fs from 'node:fs';
import { CniError, ErrorCode } from '../cni/error';
import { findExecutable, runTool } from './exec';

export type Backend = 'nftables' | 'iptables';
export const BACKENDS: readonly Backend[] = ['nftables', 'iptables'];

export function detectBackend(): Backend {
  return findExecutable('nft') ? 'nftables' : 'iptables';
}

/** 'auto'/undefined → detection; an unknown name → code 2 naming the field. */
export function resolveBackend(requested: string | undefined, field: string): Backend {
  if (requested === undefined || requested === '' || requested === 'auto') return detectBackend();
  if ((BACKENDS as readonly string[]).includes(requested)) return requested as Backend;
  throw new CniError(ErrorCode.UnsupportedField, `unknown firewall backend "${requested}" in field "${field}"`, `use one of: auto, ${BACKENDS.join(', ')}`);
}

export type IptablesVariant = 'nft' | 'legacy';

/**
 * Like the reference (go-iptables): the iptables on PATH decides, and its variant is what
 * `iptables --version` prints. The alternatives symlink usually answers without a process.
 */
export function iptablesVariant(): IptablesVariant {
  const exe = findExecutable('iptables-restore');
  if (exe) {
    try {
      const real = fs.realpathSync(exe);
      if (real.includes('legacy')) return 'legacy';
      if (real.includes('nft')) return 'nft';
    } catch {
      /* fall through to asking the tool */
    }
  }
  const r = runTool('iptables', ['--version']);
  return r.stdout.includes('legacy') ? 'legacy' : 'nft';
}

/** STATUS: throws code 50 when the backend cannot be used here. */
export function backendStatus(backend: Backend): void {
  const probe = backend === 'nftables' ? (['nft', ['list', 'tables']] as const) : (['iptables-save', ['-t', 'nat']] as const);
  if (!findExecutable(probe[0])) {
    throw new CniError(ErrorCode.NotAvailable, `${backend} backend is not usable`, `${probe[0]} not found on PATH`);
  }
  const r = runTool(probe[0], [...probe[1]]);
  if (!r.ok) throw new CniError(ErrorCode.NotAvailable, `${backend} backend is not usable`, r.stderr.trim() || `${probe[0]} exited with ${r.status}`);
}

// A backend that was used on this host for a concern (masq, portmap, forward) leaves a marker;
// DEL and GC sweep the *other* backend's leftovers of that concern only while its marker exists,
// so the common case costs no extra process. A sweep that finds the other backend holding nothing
// more of the concern removes the marker (index.ts, under the firewall lock, where ADDs mark too),
// so a node that once used iptables does not pay an iptables-save per DEL forever.
// `used-<backend>` without a concern is what builds before this one wrote: it stands for all.
// Read per call, never at module init: the executable's start-up snapshot would freeze it.
const markerDir = (): string => process.env.TSCNI_RUN_DIR ?? '/run/tscni';
const marker = (b: Backend, concern?: string): string => `${markerDir()}/used-${b}${concern ? `-${concern}` : ''}`;
const CONCERNS = ['masq', 'portmap', 'forward'] as const;

export function markUsed(b: Backend, concern: (typeof CONCERNS)[number]): void {
  try {
    if (fs.existsSync(marker(b, concern))) return;
    fs.mkdirSync(markerDir(), { recursive: true, mode: 0o755 });
    fs.writeFileSync(marker(b, concern), '');
  } catch {
    /* only an optimisation hint */
  }
}

export function wasUsed(b: Backend, concern: (typeof CONCERNS)[number]): boolean {
  return fs.existsSync(marker(b, concern)) || fs.existsSync(marker(b));
}

/** The backend holds nothing more of this concern here: stop sweeping it until it is used again. */
export function clearUsed(b: Backend, concern: (typeof CONCERNS)[number]): void {
  try {
    if (fs.existsSync(marker(b))) {
      // The old all-concerns marker becomes one per concern, minus this one.
      for (const c of CONCERNS) if (c !== concern) markUsed(b, c);
      fs.rmSync(marker(b), { force: true });
    }
    fs.rmSync(marker(b, concern), { force: true });
  } catch {
    /* only an optimisation hint: sweeping on is always correct */
  }
}

export const otherBackend = (b: Backend): Backend => (b === 'nftables' ? 'iptables' : 'nftables');
