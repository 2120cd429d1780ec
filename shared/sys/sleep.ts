// A blocking sleep for synchronous code: work inside a netns (setns moves only this thread) and
// the few polls around it cannot await.
let sleepCell: Int32Array | undefined;

/** Blocks the thread without spinning. */
export function sleepSync(ms: number): void {
  // Made on first use: module init must stay snapshot-safe (no SharedArrayBuffer at build time).
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepCell, 0, 0, ms);
}
