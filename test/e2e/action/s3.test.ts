import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server.ts";
import { type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { churningSimulator, fakeClock } from "../../support/clock.ts";
import { latestState, type OutputLine, stateOf } from "../../support/history.ts";
import { FakeRunner } from "../../support/runner.ts";
import { startS3, type TestS3 } from "../../support/s3.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * `archive: s3://…` as the runner runs the bundled action (Node 24, INPUT_* env, GITHUB_OUTPUT, the
 * real @actions/cache against the fake service): the scheduled workflow is one step plus credentials.
 * S3 is s3rver behind test/support/s3.ts (conditional writes; `deny` where a test says so).
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRST_SINCE = new Date(T1 - 100 * DAY).toISOString();
const BUCKET = "health-archive";
const INPUTS = {
  since: "last-run",
  "first-since": FIRST_SINCE,
  "page-size": "25",
  details: "none",
  "cache-save-interval": "0s",
  archive: `s3://${BUCKET}/org`,
};

let cache: FakeCacheService;
let s3: TestS3;
let sim: Simulator;
let clock = T1;
let runId = 9100;
let root: string;

beforeEach(async () => {
  clock = T1;
  cache = await startFakeCacheService();
  s3 = await startS3([BUCKET], () => clock);
  sim = await churningSimulator(() => clock, { seed: 8, account: "111122223333" });
  root = mkdtempSync(join(tmpdir(), "s3-action-"));
});
afterEach(async () => {
  await sim.close();
  await s3.stop();
  await cache.close();
});

/** A scheduled run: a new workflow run on a fresh runner. */
function scheduled(env: Record<string, string> = {}) {
  runId += 1;
  const runner = new FakeRunner(join(root, `run-${runId}`), {
    ...cache.env(),
    ...awsEnv(sim.url),
    ...s3.env(),
    GITHUB_JOB: "backup",
    GITHUB_RUN_ID: String(runId),
    GITHUB_WORKFLOW_REF: "octo/backups/.github/workflows/health.yml@refs/heads/main",
  });
  runner.fresh();
  return runner.step("dist/action/index.js", INPUTS, { GITHUB_RUN_ATTEMPT: "1", ...fakeClock(clock), ...env })
    .done;
}

async function archived(): Promise<string[]> {
  const text = (await s3.text(BUCKET, "org/archive/archive.ndjson.gz")) ?? "";
  return stateOf(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as OutputLine),
  );
}

describe("archive: s3://, the action", () => {
  it("the record lives in S3, not the Actions cache: three weeks without a run, and the next continues from it", async () => {
    const first = await scheduled();
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toMatch(
      /Stored the delta as s3:\/\/health-archive\/org\/deltas\/year=2026\/month=11\/day=02\//,
    );
    expect(await archived()).toEqual(latestState(sim));
    expect(cache.entries.filter((e) => e.key.includes("-last-run-"))).toEqual([]);
    const until = first.outputs["window-to"];
    // GitHub evicts what is unused for 7 days: nothing of the first run is left in the cache.
    for (const e of [...cache.entries]) cache.evict(e.key);
    clock = T1 + 21 * DAY;
    sim.advance();
    const later = await scheduled();
    expect(later.code, later.stdout).toBe(0);
    expect(Date.parse(later.outputs["window-from"] ?? "")).toBe(Date.parse(until ?? "") - 15 * 60_000);
    expect(later.stdout).toMatch(/continuing the last complete run/);
    expect(await archived()).toEqual(latestState(sim));
    const summary = later.summary ?? "";
    expect(summary).toContain("`s3://health-archive/org/state/");
  }, 120_000);

  it("a bucket the role may not write: the step fails before any AWS Health call, naming the action", async () => {
    s3.deny(["PutObject"]);
    const run = await scheduled();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error::s3:PutObject s3:\/\/health-archive\/org\/state\/[0-9a-f]{16}\.started\.json was denied/,
    );
    expect(sim.stats.byOperation.DescribeEventsForOrganization ?? 0).toBe(0);
  });
});
