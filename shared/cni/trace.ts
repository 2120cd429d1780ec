// TSCNI_TRACE=1: phase timings (ms since process start) on stderr, for profiling a plugin call.
// process.uptime() rather than performance.now(): the first use of `performance` loads
// perf_hooks, which would add ~1-3 ms to the very call being measured.
import fs from 'node:fs';

export function trace(label: string): void {
  if (process.env.TSCNI_TRACE) fs.writeSync(2, `trace ${(process.uptime() * 1000).toFixed(1)}ms ${label}\n`);
}

/** The resident memory at this point (from /proc/self/status), traced: what the exit will unmap. */
export function traceMemory(label: string): void {
  if (!process.env.TSCNI_TRACE) return;
  let s = '';
  try {
    s = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return;
  }
  const kb = (k: string): string => ((Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN) / 1024).toFixed(1));
  trace(`${label}: RSS ${kb('VmRSS')} MB (anon ${kb('RssAnon')}, file ${kb('RssFile')}), peak ${kb('VmHWM')} MB`);
}
