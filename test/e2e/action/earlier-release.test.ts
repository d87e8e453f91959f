import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import { type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { FakeRunner } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * A re-run served by this release of a run whose earlier attempt ran release 0.1.0 (`@v1` moved in
 * between): its entries hold checkpoint version 1 and the whole output, under a key without the leg.
 * Outside a matrix they are continued; in a matrix leg they are refused, loudly, never guessed at.
 */
const FIXTURES = "test/fixtures/v1-cache-entry";

interface Fixture {
  key: string;
  version: string;
  run: { GITHUB_JOB: string; GITHUB_RUN_ID: string };
  inputs: Record<string, string>;
  simulator: { seed: number; events: number; anchor: number };
  now: number;
}

const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Fixture;

let sim: Simulator;
let cache: FakeCacheService;

beforeEach(async () => {
  const meta = fixture("partial");
  // The simulator of the fixture: same events, and a clock at which the entry's token is still valid.
  sim = await startSimulator({ ...meta.simulator, latencyMs: 3, now: () => meta.now });
  cache = await startFakeCacheService();
});
afterEach(async () => {
  await cache.close();
  await sim.close();
});

/** Attempt 2 of the fixture's run, served by this release, with the fixture's entry in the cache. */
function secondAttempt(name: string, inputs: Record<string, string> = {}) {
  const meta = fixture(name);
  cache.put({ key: meta.key, version: meta.version, data: readFileSync(join(FIXTURES, `${name}.tzst`)) });
  const runner = new FakeRunner(mkdtempSync(join(tmpdir(), "runner-")), {
    ...cache.env(),
    ...awsEnv(sim.url),
    ...meta.run,
  });
  runner.fresh();
  // The entry's checkpoint is as old as the fixture: the age limit is the user's to raise.
  const all = { ...meta.inputs, "max-checkpoint-age": "3650d", ...inputs };
  const step = runner.step("dist/action/index.js", all, { GITHUB_RUN_ATTEMPT: "2" });
  const arns = () =>
    readFileSync(join(runner.workspace, "health-events.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { arn: string }).arn);
  return { done: step.done, arns };
}

describe("entries of release 0.1.0", () => {
  it("outside a matrix: the checkpoint and whole output are restored and continued exactly", async () => {
    const { done, arns } = secondAttempt("partial");
    const run = await done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /Restored a checkpoint that release 0\.1\.0 saved .*health-backfill-backfill-e492abea18b8e95e-4242-1-post/,
    );
    expect(run.outputs).toMatchObject({ resumed: "true", events: "300" });
    expect(run.summary).toMatch(/Resumed \| yes, from page 4 \(150 events already written/);
    expect(arns()).toEqual(sim.dataset.map((e) => e.arn));
    expect(sim.stats.byOperation.DescribeEventsForOrganization).toBe(3);
  });

  it("its completion marker: a later attempt starts fresh", async () => {
    const { done, arns } = secondAttempt("complete");
    const run = await done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/marks a completed backfill: starting fresh/);
    expect(run.outputs.resumed).toBe("false");
    expect(arns()).toEqual(sim.dataset.map((e) => e.arn));
  });

  it("in a matrix leg: refused with a clear message, before any API call, nothing downloaded", async () => {
    const { done } = secondAttempt("partial", { matrix: '{\n  "account": "111122223333"\n}' });
    const run = await done;
    expect(run.code).toBe(1);
    const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error::"));
    expect(errors).toEqual([
      "::error::The earlier attempt of this run saved its checkpoint (health-backfill-backfill-e492abea18b8e95e-4242-1-post) with release 0.1.0, whose cache keys do not tell matrix legs apart, so it may be another leg's. Nothing was deleted. Start a new workflow run (not a re-run) to back up from the first page, or set `restart: true`.",
    ]);
    expect(sim.stats.requests).toBe(0);
    expect(cache.counts.download).toBe(0);
  });
});
