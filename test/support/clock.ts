import { resolve } from "node:path";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.ts";

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

/**
 * The simulator the scheduled-backup tests share: 300 events that change over time (an insert every
 * two minutes, an update a minute) on the clock the test moves.
 */
export function churningSimulator(clock: () => number, o: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    events: 300,
    seed: 8,
    latencyMs: 1,
    now: clock,
    insertsPerMinute: 0.5,
    updatesPerMinute: 1,
    ...o,
  });
}
