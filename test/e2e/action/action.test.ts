import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import { type CacheEntry, type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { type FakeRunner, runnerOfRun, type StepResult } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * The action as the runner runs it: dist/ under Node 24, INPUT_* variables, file commands, a fresh
 * workspace per attempt at the same path, the post step after main, the real @actions/cache against a
 * local cache service, the real SDK against the simulator.
 */
let sim: Simulator;
let cache: FakeCacheService;
let runner: FakeRunner;
let runId = 1000;

const INPUTS = {
  "page-size": "50",
  details: "description",
  "cache-save-interval": "0s",
  since: "",
  output: "health-events.ndjson",
};

beforeAll(async () => {
  sim = await startSimulator({ events: 1000, seed: 21, latencyMs: 3 });
});
afterAll(() => sim.close());

/** A runner for a new workflow run (a new run id); attempts of it share the run id. */
function newRun(): FakeRunner {
  runId += 1;
  return runnerOfRun(runId, { ...cache.env(), ...awsEnv(sim.url) });
}

beforeEach(async () => {
  cache = await startFakeCacheService();
  runner = newRun();
});
afterEach(() => cache.close());

function attempt(n: number, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  runner.fresh();
  return runner.step(
    "dist/action/index.js",
    { ...INPUTS, ...inputs },
    { GITHUB_RUN_ATTEMPT: String(n), ...env },
  );
}

async function post(n: number): Promise<StepResult> {
  return runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: String(n) }).done;
}

function output(): string[] {
  return readFileSync(join(runner.workspace, "health-events.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
}

const all = () => sim.dataset.map((e) => e.arn);

/** The files inside a cache entry (a zstd tar archive), concatenated. */
function unpack(entry: CacheEntry): string {
  const file = join(mkdtempSync(join(tmpdir(), "entry-")), "cache.tzst");
  writeFileSync(file, entry.data ?? Buffer.alloc(0));
  return execFileSync("tar", ["--zstd", "-P", "-xOf", file]).toString("utf8");
}

/** Attempt 1 dies (SIGKILL, as a lost or timed-out runner) after a few pages; its post step runs. */
async function killedAttempt(): Promise<void> {
  const step = attempt(1);
  await step.waitFor(/page 6:/);
  step.child.kill("SIGKILL");
  expect((await step.done).signal).toBe("SIGKILL");
  const p = await post(1);
  expect(p.code, p.stdout).toBe(0);
  expect(p.stdout).toMatch(
    /Saved the checkpoint of page \d+ to the Actions cache as health-backfill-backfill-null-\w+-\d+-1-post/,
  );
}

describe("the action", () => {
  it("attempt 1 killed mid-way; attempt 2 of the same run resumes on a fresh runner and completes exactly", async () => {
    await killedAttempt();
    expect(cache.counts.lookup).toBe(0); // a first attempt has nothing to continue and restores nothing
    const before = sim.stats.byOperation.DescribeEventsForOrganization ?? 0;
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({
      resumed: "true",
      events: "1000",
      pages: "20",
      output: "health-events.ndjson",
    });
    expect(second.outputs["checkpoint-key"]).toMatch(
      /^health-backfill-backfill-null-[0-9a-f]{16}-\d+-2-\d{6}$/,
    );
    expect(second.stdout).toMatch(
      /Restored the checkpoint of page \d+ and its \d+ segments \(.* of output\) from the Actions cache: health-backfill-backfill-null-\w+-\d+-1-post/,
    );
    expect(second.summary).toMatch(/Resumed \| yes, from page (7|8|9) /);
    expect(output()).toEqual(all());
    // Nothing left beside the output: no checkpoint, lock, temp or half-restored file.
    expect(readdirSync(runner.workspace)).toEqual(["health-events.ndjson"]);
    // Nothing of the credentials reaches the logs, the summary or what was cached.
    const cached = cache.entries
      .filter((e) => e.finalized)
      .map(unpack)
      .join("");
    expect(cached).toContain('"nextToken"');
    for (const text of [second.stdout, second.summary, cached]) {
      expect(text).not.toMatch(/AKIDBACKFILLTEST|wJalrXUtnFEMIbackfillTESTKEY/);
    }
    // It did not start again: fewer list calls than a whole scan.
    expect((sim.stats.byOperation.DescribeEventsForOrganization ?? 0) - before).toBeLessThan(20);
    const p = await post(2);
    expect(p.stdout).toMatch(/The main step saved its own progress/);
  });

  it("a new workflow run starts fresh, and an attempt after a successful one starts fresh too", async () => {
    await killedAttempt();
    runner = newRun();
    const fresh = await attempt(1).done;
    expect(fresh.code, fresh.stdout).toBe(0);
    expect(fresh.outputs.resumed).toBe("false");
    expect(output()).toEqual(all());
    const again = await attempt(2).done;
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/marks a completed backfill: starting fresh/);
    expect(again.outputs).toMatchObject({ resumed: "false", events: "1000" });
    expect(output()).toEqual(all());
  });

  it("an expired checkpoint fails the step before any API call, saying how old it is and what to do", async () => {
    await killedAttempt();
    await new Promise((r) => setTimeout(r, 1100));
    const requests = sim.stats.requests;
    const second = await attempt(2, { "max-checkpoint-age": "1s" }).done;
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(
      /::error::The checkpoint health-events\.ndjson\.checkpoint\.json is \d+ seconds old \(its token was received at \S+\); the limit is 1 second /,
    );
    expect(second.summary).toMatch(/start a new workflow run/i);
    expect(sim.stats.requests).toBe(requests);
  });

  it.each([
    [
      "the cache rate-limits every upload (429)",
      (c: FakeCacheService) => c.fail("create", { status: 429, times: Number.POSITIVE_INFINITY }),
      {},
      /The Actions cache did not store page 1 \(rate limited: HTTP 429\); the next upload tries again\./,
    ],
    [
      "the cache is read-only (untrusted trigger)",
      (c: FakeCacheService) => (c.readOnly = true),
      {},
      /The Actions cache did not store page 1 \(read-only for this workflow run: cache write denied\)/,
    ],
    [
      "the cache service is unreachable",
      () => {},
      { ACTIONS_RESULTS_URL: "http://127.0.0.1:1/" },
      /Could not restore the last-run record from the Actions cache \(unavailable: ECONNREFUSED\)\./,
    ],
  ])("%s: one warning that says so, and a complete output", async (_name, breakCache, env, warning) => {
    breakCache(cache);
    const run = await attempt(1, { since: "last-run", "first-since": "365d" }, env).done;
    expect(run.code, run.stdout).toBe(0);
    // Every upload, the record and the completion mark failed; the log says so once, as what it is.
    // first-since 365d reaches past the 90 days AWS keeps: that warning is about the window, not the cache.
    const window = /^::warning::No earlier complete run found: .* That is further back than the 90 days/;
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("::warning::"));
    expect(lines.filter((l) => window.test(l))).toHaveLength(1);
    const warnings = lines.filter((l) => !window.test(l));
    expect(warnings).toEqual([expect.stringMatching(warning)]);
    const shown = run.stdout.split("\n").filter((l) => !l.startsWith("::debug::"));
    expect(shown.join("\n")).not.toMatch(/another job may be creating/);
    expect(run.stdout).toMatch(/^The Actions cache did not store the mark of a complete backfill/m);
    expect(output()).toEqual(all());
  });

  it("cleanup: deleted with actions: write; a failing delete is one warning, and the step still succeeds", async () => {
    const deleted = await attempt(1, { "github-token": cache.grant("write") }).done;
    expect(deleted.code, deleted.stdout).toBe(0);
    expect(deleted.stdout).toMatch(/^Deleted the \d+ cache entries of this backfill/m);
    expect(cache.entries.filter((e) => e.finalized)).toEqual([]);
    expect(deleted.summary).toMatch(/Cache entries \| \d+ deleted/);
    runner = newRun();
    cache.fail("delete", { status: 500, times: Number.POSITIVE_INFINITY });
    const failing = await attempt(1, { "github-token": cache.grant("write") }).done;
    expect(failing.code, failing.stdout).toBe(0);
    const warnings = failing.stdout.split("\n").filter((l) => l.startsWith("::warning::"));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^::warning::Could not delete the cache entries of this backfill \(DELETE caches: HTTP 500 /,
      ),
    ]);
    expect(output()).toEqual(all());
  });

  it("ACTIONS_CACHE_MODE=read skips saves with a notice, and the backfill completes", async () => {
    const run = await attempt(1, {}, { ACTIONS_CACHE_MODE: "read" }).done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/Cache save skipped/);
    expect(cache.counts.create).toBe(0);
    expect(output()).toEqual(all());
  });

  it("a failing cache download (5xx) on resume is a warning; the attempt starts over and completes", async () => {
    await killedAttempt();
    cache.fail("download", { status: 500, times: 1 });
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(/::warning::/);
    expect(second.outputs.resumed).toBe("false");
    expect(output()).toEqual(all());
  });

  it("no cache service at all: a warning, and the backfill completes on its local checkpoint", async () => {
    const run = await attempt(1, {}, { ACTIONS_RESULTS_URL: "" }).done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/::warning::The Actions cache service is not available/);
    expect(output()).toEqual(all());
  });

  it("cancellation (SIGINT, then SIGTERM 7.5 s later) saves progress; the re-run continues", async () => {
    const step = attempt(1, { "cache-save-interval": "1h" });
    await step.waitFor(/page 5:/);
    const uploadsBefore = cache.counts.create;
    step.child.kill("SIGINT");
    const term = setTimeout(() => step.child.kill("SIGTERM"), 7500);
    const first = await step.done;
    clearTimeout(term);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/SIGINT: cancelling; saving progress/);
    expect(first.stdout).toMatch(
      /::error::Interrupted after page \d+; progress is saved in .*The job was cancelled\. Press "Re-run failed jobs" to continue from page \d+/,
    );
    expect(cache.counts.create).toBeGreaterThan(uploadsBefore);
    expect(first.summary).toMatch(/Re-run failed jobs/);
    const p = await post(1);
    expect(p.stdout).toMatch(/The main step saved its own progress/);
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.resumed).toBe("true");
    // The flush waited for the newest checkpoint: the re-run continues right after the last page saved.
    expect(second.summary).toContain(`Resumed | yes, from page ${Number(first.outputs.pages) + 1} (`);
    expect(output()).toEqual(all());
  });

  it("a bad input fails the step with one error annotation naming the input", async () => {
    const run = await attempt(1, { "page-size": "500" }).done;
    expect(run.code).toBe(1);
    const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error::"));
    expect(errors).toEqual([
      '::error::Invalid page-size: "500". Allowed: a whole number from 1 to 100. Fix the input in the workflow and start a new workflow run: a re-run keeps the inputs of its run.',
    ]);
    // The path is an output even so, for a later step that uploads whatever is there.
    expect(run.outputs.output).toBe("health-events.ndjson");
  });
});
