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

// A backend that was ever used on this host leaves a marker; DEL sweeps the *other* backend's
// leftovers only when its marker exists, so the common case costs no extra process.
// Read per call, never at module init: the executable's start-up snapshot would freeze it.
const markerDir = (): string => process.env.TSCNI_RUN_DIR ?? '/run/tscni';
const marker = (b: Backend): string => `${markerDir()}/used-${b}`;

export function markUsed(b: Backend): void {
  try {
    if (fs.existsSync(marker(b))) return;
    fs.mkdirSync(markerDir(), { recursive: true, mode: 0o755 });
    fs.writeFileSync(marker(b), '');
  } catch {
    /* only an optimisation hint */
  }
}

export function wasUsed(b: Backend): boolean {
  return fs.existsSync(marker(b));
}

export const otherBackend = (b: Backend): Backend => (b === 'nftables' ? 'iptables' : 'nftables');
