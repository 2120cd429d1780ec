import { defineConfig } from 'vitest/config';

// Files run one after another: e2e tests build real namespaces and bridges and two cores are
// all there is; parallel files would only fight for them.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/event-loop.ts'],
  },
});
