import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../../src/simulator/server.ts";
import {
  type ActionsPermission,
  type CacheEntry,
  type FakeCacheService,
  startFakeCacheService,
} from "../../fakes/cache-service.ts";
import { FakeRunner, type StepResult } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * The cache as an append-only log, end to end: dist/ under Node 24 the way the runner runs it, the real
 * @actions/cache against the fake cache service (with its REST API), the real SDK against the simulator.
 */
let sim: Simulator;
let cache: FakeCacheService;
let runner: FakeRunner;
let runId = 2000;

const INPUTS = { "page-size": "100", details: "description", "cache-save-interval": "0s", since: "" };

beforeAll(async () => {
  sim = await startSimulator({ events: 4000, seed: 5, latencyMs: 3 });
});
afterAll(() => sim.close());

beforeEach(async () => {
  cache = await startFakeCacheService();
  runId += 1;
  runner = new FakeRunner(mkdtempSync(join(tmpdir(), "runner-")), {
    ...cache.env(),
    ...awsEnv(sim.url),
    GITHUB_JOB: "backfill",
    GITHUB_RUN_ID: String(runId),
  });
});
afterEach(() => cache.close());

function attempt(n: number, inputs: Record<string, string> = {}) {
  runner.fresh();
  return runner.step("dist/action/index.js", { ...INPUTS, ...inputs }, { GITHUB_RUN_ATTEMPT: String(n) });
}

const outputFile = () => join(runner.workspace, "health-events.ndjson");
const arns = () =>
  readFileSync(outputFile(), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
const all = () => sim.dataset.map((e) => e.arn);
const stored = () => cache.entries.filter((e) => e.finalized);
const newest = () => stored().at(-1);
/** The checkpoint inside an entry (a zstd tar archive of two files): its page and last segment. */
function checkpointIn(entry: CacheEntry | undefined): {
  pages: number;
  last?: { key: string; previous?: string };
} {
  const file = join(mkdtempSync(join(tmpdir(), "entry-")), "cache.tzst");
  writeFileSync(file, entry?.data ?? Buffer.alloc(0));
  const text = execFileSync("tar", [
    "--zstd",
    "-P",
    "-xOf",
    file,
    "--wildcards",
    "*checkpoint.json",
  ]).toString();
  const doc = JSON.parse(text) as { pages: number; segments: { last?: { key: string; previous?: string } } };
  return { pages: doc.pages, ...(doc.segments.last ? { last: doc.segments.last } : {}) };
}

/** Lines the runner shows without debug logging (masks are not shown either). */
const visible = (r: StepResult) =>
  r.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("::debug::") && !l.startsWith("::add-mask::"));

/** Attempt 1 killed (a lost or timed-out runner) after `pages` pages; its post step saves the rest. */
async function killedAttempt(pages: number, inputs: Record<string, string> = {}): Promise<StepResult[]> {
  const step = attempt(1, inputs);
  await step.waitFor(new RegExp(`page ${pages}:`));
  // Two uploads stored at least, so the newest checkpoint's chain has a segment before its last: on a
  // loaded machine the first upload can take so long that every later checkpoint replaces the waiting one.
  await step.waitFor(/Cached page \d+:[\s\S]*Cached page \d+:/);
  step.child.kill("SIGKILL");
  const main = await step.done;
  const post = await runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: "1" }).done;
  expect(post.code, post.stdout).toBe(0);
  return [main, post];
}

/** @actions/cache's own lines, which belong in the debug log. */
const LIBRARY_LINE =
  /^\[command\]|^Sent \d+ of|^Received \d+ of|^Cache (Size|saved|restored|hit)|Unable to reserve/;

describe("segments", () => {
  it.each([
    ["read", false],
    ["write", true],
  ] as [ActionsPermission, boolean][])(
    "0s, 4,000 events, cut mid-way and re-run (token with actions: %s): the output uploaded about once, exact",
    async (permission, deletes) => {
      const inputs = { "github-token": cache.grant(permission) };
      const first = await killedAttempt(20, inputs);
      const second = await attempt(2, inputs).done;
      expect(second.code, second.stdout).toBe(0);
      expect(second.outputs).toMatchObject({ resumed: "true", events: "4000" });
      expect(arns()).toEqual(all());

      const gzip = gzipSync(readFileSync(outputFile())).length;
      expect(cache.counts.uploadedBytes).toBeLessThanOrEqual(2 * gzip);
      if (deletes) {
        expect(stored()).toEqual([]);
        expect(second.stdout).toMatch(/Deleted the \d+ cache entries of this backfill/);
      } else {
        const kept = stored().reduce((sum, e) => sum + e.size, 0);
        expect(kept).toBeLessThanOrEqual(1.5 * gzip);
        const notices = visible(second).filter((l) => l.startsWith("::notice::"));
        expect(notices).toHaveLength(1);
        expect(notices[0]).toMatch(/7 days after their last use.*permissions: actions: write/);
      }
      console.info(
        `segments (${permission}): output ${readFileSync(outputFile()).length} B, gzip ${gzip} B, ` +
          `uploaded ${cache.counts.uploadedBytes} B in ${cache.counts.finalize} entries, kept ${stored().reduce((s, e) => s + e.size, 0)} B`,
      );

      // Quiet logs: no line of the library's own; one line per stored upload; count and bytes in the summary.
      for (const step of [...first, second]) {
        expect(visible(step).filter((l) => LIBRARY_LINE.test(l))).toEqual([]);
        expect(visible(step).filter((l) => l.startsWith("::warning::"))).toEqual([]);
      }
      const uploads = Number(
        /Cache uploads \| (\d+) stored, [\d.]+ k?B sent, holding [\d.]+ [kM]?B of output/.exec(
          second.summary,
        )?.[1],
      );
      const cachedLines = visible(second).filter((l) => l.startsWith("Cached page")).length;
      expect(cachedLines).toBeGreaterThan(0);
      expect(cachedLines + 1).toBe(uploads); // and the completion marker, which has no line of its own
    },
    120_000,
  );

  it("a segment missing on re-run: one warning, a fresh start, an exact output", async () => {
    await killedAttempt(12);
    // The segment before the last in the chain of the newest checkpoint (an upload the kill cut short
    // may have left an entry the chain does not use).
    const restored = newest()?.key;
    const { pages, last } = checkpointIn(newest());
    const evicted = last?.previous ?? "";
    expect(evicted).toMatch(/-1-\d{6}$/);
    cache.evict(evicted);
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    const warnings = visible(second).filter((l) => l.startsWith("::warning::"));
    expect(warnings).toEqual([
      `::warning::The newest checkpoint of this run in the Actions cache (${restored}, page ${pages}) cannot be used: its segment ${evicted} is not in the cache any more (evicted or deleted). Starting from the first page.`,
    ]);
    expect(second.outputs.resumed).toBe("false");
    expect(arns()).toEqual(all());
  });

  it("an entry holding another upload's archive on re-run: one warning, a fresh start, never a spliced output", async () => {
    await killedAttempt(12);
    // The entry of the segment before the last and the newest entry trade archives.
    const last = newest();
    const k1 = checkpointIn(last).last?.previous ?? "";
    const [e1] = stored().filter((e) => e.key === k1);
    if (!last?.data || !e1?.data) throw new Error("expected a segment before the last");
    [last.data, e1.data, last.size, e1.size] = [e1.data, last.data, e1.size, last.size];
    const second = await attempt(2).done;
    expect(second.code, second.stdout).toBe(0);
    const warnings = visible(second).filter((l) => l.startsWith("::warning::"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      `cannot be used: the cache entry ${k1} does not hold the segment its chain records`,
    );
    expect(second.outputs.resumed).toBe("false");
    expect(arns()).toEqual(all());
  });
});
