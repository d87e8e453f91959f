import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import { type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { type FakeRunner, runnerOfRun } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * What the action says when things go wrong must match what is true: the bundled action under
 * Node 24, the real @actions/cache against the local cache service, the real SDK against the simulator.
 */
let sim: Simulator;
let cache: FakeCacheService;
let runId = 5000;

const INPUTS = {
  "page-size": "50",
  details: "none",
  "cache-save-interval": "0s",
  output: "health-events.ndjson",
};

beforeAll(async () => {
  sim = await startSimulator({ events: 1000, seed: 22, latencyMs: 10 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  cache = await startFakeCacheService();
  Object.assign(sim.faults, { organizationalView: "ENABLED" });
});
afterEach(() => cache.close());

function newRun(): FakeRunner {
  runId += 1;
  return runnerOfRun(runId, { ...cache.env(), ...awsEnv(sim.url) });
}

const errorLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("::error::"));

describe("the action tells the truth", () => {
  it("without a cache service it does not claim to save to the cache, and its outputs count what was written", async () => {
    const runner = newRun();
    runner.fresh();
    const step = runner.step("dist/action/index.js", INPUTS, {
      GITHUB_RUN_ATTEMPT: "1",
      ACTIONS_RESULTS_URL: "",
    });
    await step.waitFor(/page 6:/);
    step.child.kill("SIGINT");
    const run = await step.done;
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/SIGINT: cancelling; stopping after the page in progress\./);
    expect(run.stdout).not.toMatch(/saving progress to the Actions cache/);
    const [error] = errorLines(run.stdout);
    expect(error).toMatch(
      /^::error::Interrupted after page (\d+); progress is saved in .* The job was cancelled\. The Actions cache is not available, so a re-run starts from the first page\.$/,
    );
    expect(run.summary).not.toMatch(/Press "Re-run failed jobs"/);
    const pages = Number(run.outputs.pages);
    expect(pages).toBeGreaterThanOrEqual(6);
    expect(run.outputs.events).toBe(String(pages * 50));
    const lines = readFileSync(join(runner.workspace, "health-events.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(pages * 50);
  });

  it("a setup failure says what to grant, not to re-run", async () => {
    Object.assign(sim.faults, { organizationalView: "DISABLED" });
    const runner = newRun();
    runner.fresh();
    const run = await runner.step("dist/action/index.js", INPUTS, { GITHUB_RUN_ATTEMPT: "1" }).done;
    expect(run.code).toBe(1);
    const [error] = errorLines(run.stdout);
    expect(error).toMatch(
      /Organizational view of AWS Health is DISABLED .* Grant or enable what the message names: until then every run fails the same way\.$/,
    );
    expect(run.stdout + run.summary).not.toMatch(/Re-run failed jobs|--restart/);
    expect(run.outputs.output).toBe("health-events.ndjson");
  });

  it("long checkpoint-keys that differ only at the end keep two legs apart", async () => {
    const prefix = `health-backfill-${"organization-production-eu-central-1-".repeat(3)}account-`;
    const runner = newRun();
    // Leg A's first attempt dies after a few pages; its post step saves the checkpoint.
    runner.fresh();
    const legA = runner.step(
      "dist/action/index.js",
      { ...INPUTS, "checkpoint-key": `${prefix}111111111111` },
      { GITHUB_RUN_ATTEMPT: "1" },
    );
    await legA.waitFor(/page 6:/);
    legA.child.kill("SIGKILL");
    await legA.done;
    const post = await runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: "1" }).done;
    expect(post.stdout).toMatch(
      /Saved the checkpoint of page \d+ to the Actions cache|already holds the newest checkpoint/,
    );
    // Leg B, same job, run and attempt numbers, another key: it must not continue A's backfill.
    runner.fresh();
    const legB = await runner.step(
      "dist/action/index.js",
      { ...INPUTS, "checkpoint-key": `${prefix}222222222222` },
      { GITHUB_RUN_ATTEMPT: "2" },
    ).done;
    expect(legB.code, legB.stdout).toBe(0);
    expect(legB.outputs.resumed).toBe("false");
    expect(legB.stdout).not.toMatch(/Restored checkpoint/);
    expect(legB.stdout).not.toMatch(/Unable to reserve cache/);
  });
});
