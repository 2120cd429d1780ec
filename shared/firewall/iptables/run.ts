// iptables-save / iptables-restore --noflush, one call per table and family, using the variant
// (nft or legacy) the host's `iptables` is, as the reference does.
import { CniError, ErrorCode } from '../../cni/error';
import type { Family } from '../../cni/ip';
import { iptablesVariant, type IptablesVariant } from '../backend';
import { findExecutable, runTool } from '../exec';

let variant: IptablesVariant | undefined;

function tool(family: Family, verb: 'save' | 'restore'): string {
  variant ??= iptablesVariant();
  const base = family === 4 ? 'iptables' : 'ip6tables';
  const specific = `${base}-${variant}-${verb}`;
  return findExecutable(specific) ? specific : `${base}-${verb}`;
}

export function iptablesSave(family: Family, table = 'nat'): string {
  const r = runTool(tool(family, 'save'), ['-t', table]);
  if (!r.ok) throw new CniError(ErrorCode.Internal, `${tool(family, 'save')} -t ${table} failed`, r.stderr.trim());
  return r.stdout;
}

/** Applies rule lines to one table atomically, leaving everything else as it is. */
export function iptablesRestore(family: Family, lines: string[], table = 'nat'): void {
  if (!lines.length) return;
  const input = `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  const r = runTool(tool(family, 'restore'), ['--noflush', '-w'], input);
  if (!r.ok) throw new CniError(ErrorCode.Internal, `${tool(family, 'restore')} failed`, `${r.stderr.trim()}\ninput:\n${input}`);
}

/** iptables-save quoting: double quotes, with inner quotes and backslashes escaped. */
export function quoteArg(s: string): string {
  if (/[\n\r]/.test(s)) throw new CniError(ErrorCode.InvalidNetworkConfig, `value "${s}" cannot be used in an iptables rule`);
  return /[\s"\\']/.test(s) || s === '' ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s;
}

/** Reference comment limit: longer comments are cut to 253 chars + "...". */
export function commentArg(s: string): string {
  return quoteArg(s.length > 255 ? `${s.slice(0, 253)}...` : s);
}
