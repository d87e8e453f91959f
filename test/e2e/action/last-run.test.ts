import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { visibleAt } from "../../../src/simulator/churn.ts";
import type { Simulator, SimulatorOptions } from "../../../src/simulator/server.ts";
import { type CacheEntry, type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { churningSimulator, fakeClock } from "../../support/clock.ts";
import { expectedDelta, latestState, readJsonLines, stateOf, versionOf } from "../../support/history.ts";
import { FakeRunner, type StepResult } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * A scheduled workflow with `since: last-run`, as the runner runs it: every scheduled run is a new
 * workflow run on a fresh runner (empty workspace), so the record of the last complete run comes only
 * from the Actions cache (the real @actions/cache against the fake service). The archive is fetched
 * into the workspace before the step and kept after it, as a workflow does with S3 or a data branch.
 * The action runs on the simulator's clock (fake-clock.ts); the simulator's clock stands still while
 * a step runs.
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAGE = 25;
const FIRST_SINCE = new Date(T1 - 100 * DAY).toISOString();
const INPUTS = {
  since: "last-run",
  "first-since": FIRST_SINCE,
  "page-size": String(PAGE),
  details: "description",
  "cache-save-interval": "0s",
  output: "health-events.ndjson",
  "merge-into": "archive.ndjson",
};

let sim: Simulator;
let cache: FakeCacheService;
let clock = T1;
let runId = 5000;
let root: string;
let bucket: string;

async function simulator(o: SimulatorOptions = {}): Promise<Simulator> {
  sim = await churningSimulator(() => clock, o);
  return sim;
}

beforeEach(async () => {
  clock = T1;
  cache = await startFakeCacheService();
  root = mkdtempSync(join(tmpdir(), "scheduled-"));
  bucket = join(root, "bucket");
  mkdirSync(bucket);
});
afterEach(async () => {
  await cache.close();
  await sim?.close();
});

/** A new workflow run (a new run id, a fresh runner) of the scheduled job. */
function newRun(): FakeRunner {
  runId += 1;
  return new FakeRunner(join(root, `run-${runId}`), {
    ...cache.env(),
    ...awsEnv(sim.url),
    GITHUB_JOB: "backup",
    GITHUB_RUN_ID: String(runId),
  });
}

/** One attempt: fetch the archive into the workspace, run the step, keep the archive if it succeeded. */
function attempt(runner: FakeRunner, n: number, env: Record<string, string> = {}) {
  runner.fresh();
  const archive = join(bucket, "archive.ndjson");
  if (existsSync(archive)) copyFileSync(archive, join(runner.workspace, "archive.ndjson"));
  const step = runner.step("dist/action/index.js", INPUTS, {
    GITHUB_RUN_ATTEMPT: String(n),
    ...fakeClock(clock),
    ...env,
  });
  const done = step.done.then((result) => {
    if (result.code === 0) copyFileSync(join(runner.workspace, "archive.ndjson"), archive);
    return result;
  });
  return { ...step, done };
}

const listCalls = () => sim.stats.byOperation.DescribeEventsForOrganization ?? 0;
const delta = (runner: FakeRunner) =>
  readJsonLines(join(runner.workspace, "health-events.ndjson")).map(versionOf);
const archived = () => stateOf(readJsonLines(join(bucket, "archive.ndjson")));
const recordEntries = () => cache.entries.filter((e) => e.finalized && e.key.includes("-last-run-"));

/** The record inside a cache entry (a zstd tar archive). */
function recordIn(entry: CacheEntry): { until: string; from: string; events: number } {
  const file = join(mkdtempSync(join(tmpdir(), "entry-")), "cache.tzst");
  writeFileSync(file, entry.data ?? Buffer.alloc(0));
  return JSON.parse(execFileSync("tar", ["--zstd", "-xOf", file]).toString("utf8"));
}

describe("since: last-run, the action", () => {
  it("three scheduled runs: exact deltas, only changed events listed, the archive the latest state", async () => {
    await simulator();
    const windows: { from: string; to: string }[] = [];
    const deltas = new Set<string>();
    const runs = [T1, T1 + 2 * HOUR, T1 + 4 * HOUR];
    for (const [i, at] of runs.entries()) {
      clock = at;
      sim.advance();
      const calls = listCalls();
      const runner = newRun();
      const result: StepResult = await attempt(runner, 1).done;
      expect(result.code, result.stdout).toBe(0);
      const from = result.outputs["window-from"] ?? "";
      const to = result.outputs["window-to"] ?? "";
      expect(Date.parse(to)).toBeGreaterThanOrEqual(at);
      windows.push({ from, to });
      const expected = expectedDelta(sim, at, from, to);
      expect(delta(runner)).toEqual(expected);
      for (const v of delta(runner)) deltas.add(v);
      expect(result.outputs.events).toBe(String(expected.length));
      expect(archived()).toEqual(latestState(sim));
      expect(recordEntries()).toHaveLength(i + 1);
      expect(recordIn(recordEntries()[i] as CacheEntry)).toMatchObject({ from, until: to });
      expect(result.summary).toMatch(/#### What this run backed up/);
      expect(result.summary).toMatch(/\| category \| .* \| total \|/);
      expect(result.summary).toMatch(/\*\*Services with the most events:\*\* \w+ \d+/);
      expect(result.summary).toMatch(/Merged into `archive\.ndjson`: \d+ new and \d+ updated events/);
      expect(result.summary).toMatch(
        /Recorded as the last complete run \(until \S+\) in the Actions cache as `health-backfill-last-run-backup-null-[0-9a-f]{16}-\d+-1-\w+`/,
      );
      expect(result.stdout).toMatch(/^page \d+: \d+ events · [\d.]+ s · \d+% of the window/m);
      if (i === 0) {
        const message = `No earlier complete run found: backing up from ${FIRST_SINCE} (first-since`;
        expect(result.stdout).toContain(message);
        expect(result.summary).toContain(message);
        expect(expected).toHaveLength(300);
      } else {
        expect(result.stdout).toMatch(
          /Restored the record of the last complete run from the Actions cache: health-backfill-last-run-backup-/,
        );
        expect(Date.parse(from)).toBe(Date.parse(windows[i - 1]?.to ?? "") - 15 * 60_000);
        expect(listCalls() - calls).toBeLessThanOrEqual(expected.length / PAGE + 2);
        expect(expected.length).toBeLessThan(sim.dataset.length / 2);
      }
    }
    const seenByRuns = new Set(
      runs.flatMap((at) => visibleAt(sim.history ?? [], at).map((v) => versionOf(v.event))),
    );
    const missing = (sim.history ?? [])
      .slice(300)
      .map((v) => versionOf(v.event))
      .filter((v) => seenByRuns.has(v) && !deltas.has(v));
    expect(missing).toEqual([]);
  }, 120_000);

  it("an interrupted run is re-run to an exact delta; the record moves only when it completes", async () => {
    await simulator();
    expect((await attempt(newRun(), 1).done).code).toBe(0);
    clock = T1 + 3 * HOUR;
    sim.advance();
    const runner = newRun();
    const first = attempt(runner, 1);
    await first.waitFor(/page 3:/);
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    const post = await runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: "1", ...fakeClock(clock) }).done;
    expect(post.code, post.stdout).toBe(0);
    expect(recordEntries()).toHaveLength(1);
    // "Re-run failed jobs" ten minutes later, on a fresh runner.
    const second = await attempt(runner, 2, fakeClock(clock + 10 * 60_000)).done;
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.resumed).toBe("true");
    const to = second.outputs["window-to"] ?? "";
    expect(Date.parse(to)).toBeLessThan(clock + 10 * 60_000);
    expect(delta(runner)).toEqual(expectedDelta(sim, clock, second.outputs["window-from"] ?? "", to));
    expect(recordEntries()).toHaveLength(2);
    expect(recordIn(recordEntries()[1] as CacheEntry).until).toBe(to);
    expect(archived()).toEqual(latestState(sim));
  }, 60_000);

  it("a stopped attempt says in the summary how far through the window it came", async () => {
    await simulator({ latencyMs: 20 });
    const runner = newRun();
    const step = attempt(runner, 1);
    await step.waitFor(/page 4:/);
    step.child.kill("SIGINT");
    const result = await step.done;
    expect(result.code).toBe(1);
    expect(result.summary).toMatch(
      /Stopped at \d+% of the window \(events written back to lastUpdatedTime \S+\)\./,
    );
    expect(result.outputs["window-from"]).toBe(FIRST_SINCE);
    expect(recordEntries()).toHaveLength(0);
  });

  it("the record's cache entry evicted: back to first-since, and the log and summary say so", async () => {
    await simulator();
    expect((await attempt(newRun(), 1).done).code).toBe(0);
    for (const entry of recordEntries()) cache.entries.splice(cache.entries.indexOf(entry), 1);
    clock = T1 + 2 * HOUR;
    const run = await attempt(newRun(), 1).done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      "No record of a complete run of this backup in the Actions cache under health-backfill-last-run-backup-",
    );
    expect(run.stdout).toContain(`No earlier complete run found: backing up from ${FIRST_SINCE}`);
    expect(run.summary).toContain(`No earlier complete run found: backing up from ${FIRST_SINCE}`);
    expect(run.outputs["window-from"]).toBe(FIRST_SINCE);
    expect(archived()).toEqual(latestState(sim));
  });

  it("a record older than the 90 days AWS keeps: a warning annotation about the gap", async () => {
    await simulator({ insertsPerMinute: 0, updatesPerMinute: 0 });
    const first = await attempt(newRun(), 1).done;
    expect(first.code).toBe(0);
    const until = first.outputs["window-to"] ?? "";
    clock = T1 + 100 * DAY + HOUR; // a whole hour past 100 days, whatever the start-up time of each run
    const run = await attempt(newRun(), 1).done;
    expect(run.code, run.stdout).toBe(0);
    const from = run.outputs["window-from"] ?? "";
    expect(Math.abs(Date.parse(from) - (clock - 90 * DAY))).toBeLessThan(5000);
    expect(run.stdout).toContain(
      `::warning::The last complete run of this query ended at ${until}, 100 days ago, but AWS keeps Health events for 90 days: ` +
        `events updated between ${until} and ${from} can no longer be fetched.`,
    );
  });
});
