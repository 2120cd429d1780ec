// Runs before every test file (vitest.config.ts setupFiles). Most e2e tests are synchronous
// (spawnSync into namespaces), and vitest does not let the event loop turn between tests of a
// file: its progress reports to the main process, and their answers, then wait for the whole
// file. A file of synchronous tests longer than 60 s (firewall-plugin isolation, podman) let
// vitest's RPC deadline pass and the run fail with "Timeout calling onTaskUpdate", every test
// green. One turn of the event loop after each test keeps the wait to one test.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
