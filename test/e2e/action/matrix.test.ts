import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import { type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { FakeRunner, type StepResult } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * Two legs of one matrix job: the same job, run and attempt, the same inputs, each with its own
 * credentials, here its own AWS account (a simulator with its own seed). On hosted runners each leg has
 * its own machine with the same workspace and RUNNER_TEMP paths, so their entries have the same cache
 * version: here the legs take turns on one runner root, wiped between attempts, to be exactly that.
 */
const INPUTS = { "page-size": "50", details: "description", "cache-save-interval": "0s", since: "" };

let cache: FakeCacheService;
const sims: Simulator[] = [];

beforeAll(async () => {
  cache = await startFakeCacheService();
  for (const seed of [31, 32]) sims.push(await startSimulator({ events: 800, seed, latencyMs: 8 }));
});
afterAll(async () => {
  await cache.close();
  for (const s of sims) await s.close();
});

interface Leg {
  readonly runner: FakeRunner;
  readonly sim: Simulator;
  /** `${{ toJSON(matrix) }}` as the runner expands it for this leg. */
  readonly matrix: string;
}

function legs(): Leg[] {
  const root = mkdtempSync(join(tmpdir(), "legs-"));
  return sims.map((sim, i) => {
    const runner = new FakeRunner(root, {
      ...cache.env(),
      ...awsEnv(sim.url),
      GITHUB_JOB: "backfill",
      GITHUB_RUN_ID: "3001",
    });
    return { runner, sim, matrix: JSON.stringify({ account: `acct-${i}` }, null, 2) };
  });
}

function start(leg: Leg, n: number) {
  leg.runner.fresh();
  return leg.runner.step(
    "dist/action/index.js",
    { ...INPUTS, matrix: leg.matrix },
    { GITHUB_RUN_ATTEMPT: String(n) },
  );
}

/** Cancels a leg mid-way the way the runner does: SIGINT, then SIGTERM 7.5 s later; then its post step. */
async function cancelled(leg: Leg): Promise<StepResult[]> {
  const step = start(leg, 1);
  await step.waitFor(/page 6:/);
  step.child.kill("SIGINT");
  const term = setTimeout(() => step.child.kill("SIGTERM"), 7500);
  const main = await step.done;
  clearTimeout(term);
  expect(main.code).toBe(1);
  const post = await leg.runner.post({ ...INPUTS, matrix: leg.matrix }, { GITHUB_RUN_ATTEMPT: "1" }).done;
  return [main, post];
}

/** Re-runs a leg to completion; returns the step and the events of its output. */
async function rerun(leg: Leg): Promise<{ step: StepResult; arns: string[] }> {
  const step = await start(leg, 2).done;
  const arns = readFileSync(join(leg.runner.workspace, "health-events.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
  return { step, arns };
}

describe("matrix legs", () => {
  it("two legs with the same inputs, both cancelled mid-way and re-run: each resumes its own checkpoint and ends with exactly its own account's events", async () => {
    const [a, b] = legs() as [Leg, Leg];
    expect(a.runner.temp).toBe(b.runner.temp);
    const firsts = [...(await cancelled(a)), ...(await cancelled(b))];
    // A first attempt has nothing to continue: it asked the cache for nothing.
    expect(cache.counts.lookup).toBe(0);
    const seconds: StepResult[] = [];
    for (const leg of [a, b]) {
      const { step, arns } = await rerun(leg);
      seconds.push(step);
      expect(step.code, step.stdout).toBe(0);
      expect(step.outputs.resumed).toBe("true");
      expect(step.stdout).toMatch(/Restored the checkpoint of page \d+ and its \d+ segments/);
      expect(arns).toEqual(leg.sim.dataset.map((e) => e.arn));
    }
    expect(a.sim.dataset[0]?.arn).not.toBe(b.sim.dataset[0]?.arn);
    // No collisions: nothing refused, no "Unable to reserve cache", not even in the debug lines.
    for (const step of [...firsts, ...seconds]) {
      expect(step.stdout).not.toMatch(/Unable to reserve cache|already exists/);
      expect(step.stdout).not.toMatch(/^::warning::/m);
    }
    expect(cache.counts.rejected).toBe(0);
    const legParts = new Set(cache.entries.map((e) => e.key.split("-")[3]));
    expect(legParts.size).toBe(2);
  }, 120_000);
});
