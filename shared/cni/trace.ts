// TSCNI_TRACE=1: phase timings (ms since process start) on stderr, for profiling a plugin call.
import fs from 'node:fs';

const on = !!process.env.TSCNI_TRACE;

export function trace(label: string): void {
  if (on) fs.writeSync(2, `trace ${performance.now().toFixed(1)}ms ${label}\n`);
}
