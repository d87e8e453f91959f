import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import { type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { fakeClock } from "../../support/clock.ts";
import { type FakeRunner, runnerOfRun } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * "Re-run failed jobs" across AWS Health's failover and past an expired token, as the runner runs the
 * bundled action: the first attempt is killed, its post step saves the checkpoint to the Actions cache
 * (the real @actions/cache against the fake service), and the re-run continues it by time.
 */
let sim: Simulator;
let cache: FakeCacheService;
let runner: FakeRunner;
let runId = 9000;
let clock = Date.now();

const INPUTS = {
  "page-size": "20",
  details: "description",
  "cache-save-interval": "0s",
  since: "",
  output: "out.ndjson",
};

beforeEach(async () => {
  clock = Date.now();
  sim = await startSimulator({ events: 400, seed: 33, latencyMs: 3, now: () => clock });
  cache = await startFakeCacheService();
  runId += 1;
  runner = runnerOfRun(runId, {
    ...cache.env(),
    ...awsEnv(sim.url),
    HEALTH_BACKFILL_TEST_GLOBAL_CNAME: `${sim.url}/global-cname`,
  });
});
afterEach(async () => {
  await cache.close();
  await sim.close();
});

function attempt(n: number, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  runner.fresh();
  return runner.step(
    "dist/action/index.js",
    { ...INPUTS, ...inputs },
    { GITHUB_RUN_ATTEMPT: String(n), ...env },
  );
}

/** The first attempt, killed after its fifth page, and its post step. */
async function killedFirstAttempt(): Promise<void> {
  const first = attempt(1);
  await first.waitFor(/page 5:/);
  first.child.kill("SIGKILL");
  expect((await first.done).signal).toBe("SIGKILL");
  expect((await runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: "1" }).done).code).toBe(0);
}

const output = () =>
  readFileSync(join(runner.workspace, "out.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
const all = () => sim.dataset.map((e) => e.arn);

describe("re-runs that cannot use their token", () => {
  it("the active region changed between attempts: the re-run continues by time in the new region", async () => {
    await killedFirstAttempt();
    sim.faults.activeRegion = "us-east-2";
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(
      /::warning::The active AWS Health region changed from us-east-1 to us-east-2, and a pagination token belongs to the region that issued it: continuing by time in us-east-2/,
    );
    expect(second.stdout).toContain("region us-east-2 (active, from global.health.amazonaws.com)");
    expect(output()).toEqual(all());
  }, 60_000);

  it("a re-run 25 hours later fails loudly by default, and continues by time with expired: continue", async () => {
    await killedFirstAttempt();
    const later = fakeClock(clock + 25 * 3_600_000);
    clock += 25 * 3_600_000; // the simulator's tokens have expired too
    const refused = await attempt(2, {}, later).done;
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/::error::The checkpoint \S+ is 25\.0 hours old/);
    const continued = await attempt(3, { expired: "continue" }, later).done;
    expect(continued.code, continued.stdout).toBe(0);
    expect(continued.stdout).toMatch(
      /::warning::The checkpoint \S+ is 25\.0 hours old .*: continuing by time, as expired: continue asks/,
    );
    expect(output()).toEqual(all());
  }, 60_000);
});
