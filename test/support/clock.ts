import { resolve } from "node:path";

/**
 * The environment that starts a child process (the bundled script or action under Node 24) with its
 * clock at `at` (epoch ms), running from there at the real pace: see fake-clock.ts.
 */
export function fakeClock(at: number): Record<string, string> {
  return {
    HEALTH_BACKFILL_TEST_NOW: String(at),
    NODE_OPTIONS: `--import=${resolve("test/support/fake-clock.ts")}`,
  };
}
