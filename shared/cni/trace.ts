// TSCNI_TRACE=1: phase timings (ms since process start) on stderr, for profiling a plugin call.
import fs from 'node:fs';

export function trace(label: string): void {
  if (process.env.TSCNI_TRACE) fs.writeSync(2, `trace ${performance.now().toFixed(1)}ms ${label}\n`);
}
