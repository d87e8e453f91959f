import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config.ts";
import { releasedFingerprint } from "../../../src/engine/request.ts";
import type { Simulator } from "../../../src/simulator/server.ts";
import { type CacheEntry, type FakeCacheService, startFakeCacheService } from "../../fakes/cache-service.ts";
import { accountRouter } from "../../support/accounts.ts";
import { churningSimulator, fakeClock } from "../../support/clock.ts";
import { expectedDelta, latestState, readJsonLines, stateOf, versionOf } from "../../support/history.ts";
import { FakeRunner } from "../../support/runner.ts";
import { awsEnv } from "../../support/script.ts";

/**
 * Scheduled backups as the runner runs the bundled action: every scheduled run is a new workflow run on
 * a fresh runner, the record of the last complete run comes from the Actions cache (the real
 * @actions/cache against the fake service), and the archive is fetched into the workspace before the
 * step and uploaded after it (a copy to a "bucket" folder), as a workflow does with S3. Simulators and
 * steps share a clock the test moves (fake-clock.ts).
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FIRST_SINCE = new Date(T1 - 100 * 24 * HOUR).toISOString();
const INPUTS = {
  since: "last-run",
  "first-since": FIRST_SINCE,
  "page-size": "25",
  details: "none",
  "cache-save-interval": "0s",
  output: "health-events.ndjson",
  "merge-into": "archive.ndjson",
};
const PROD = { account: "111122223333", key: "AKIDPRODUCTION01" };
const STAGING = { account: "444455556666", key: "AKIDSTAGING00001" };

let cache: FakeCacheService;
let clock = T1;
let runId = 7000;
let root: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  clock = T1;
  cache = await startFakeCacheService();
  root = mkdtempSync(join(tmpdir(), "backups-action-"));
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await cache.close();
});

async function simulator(seed: number, account: string): Promise<Simulator> {
  const sim = await churningSimulator(() => clock, { seed, account });
  closers.push(() => sim.close());
  return sim;
}

/** One scheduled backup: a workflow file, the credentials of one account, its own bucket for the archive. */
interface Backup {
  readonly workflow: string;
  readonly url: string;
  readonly key: string;
  readonly bucket: string;
}

function backupOf(workflow: string, url: string, key: string): Backup {
  const bucket = join(root, `bucket-${workflow}`);
  mkdirSync(bucket, { recursive: true });
  return { workflow, url, key, bucket };
}

/** A new workflow run of the backup's workflow: a new run id, a fresh runner. Every workflow's job is `backup`. */
function newRun(b: Backup): FakeRunner {
  runId += 1;
  return new FakeRunner(join(root, `run-${runId}`), {
    ...cache.env(),
    ...awsEnv(b.url),
    AWS_ACCESS_KEY_ID: b.key,
    GITHUB_JOB: "backup",
    GITHUB_RUN_ID: String(runId),
    GITHUB_WORKFLOW_REF: `octo/backups/.github/workflows/${b.workflow}.yml@refs/heads/main`,
  });
}

/**
 * One attempt: fetch the archive from the bucket, run the step, and upload the archive when the step
 * succeeded, unless `upload` says the upload step failed.
 */
function attempt(
  b: Backup,
  runner: FakeRunner,
  n: number,
  o: { env?: Record<string, string>; upload?: boolean } = {},
) {
  runner.fresh();
  const archive = join(b.bucket, "archive.ndjson");
  if (existsSync(archive)) copyFileSync(archive, join(runner.workspace, "archive.ndjson"));
  const step = runner.step("dist/action/index.js", INPUTS, {
    GITHUB_RUN_ATTEMPT: String(n),
    ...fakeClock(clock),
    ...o.env,
  });
  const done = step.done.then((result) => {
    if (result.code === 0 && o.upload !== false)
      copyFileSync(join(runner.workspace, "archive.ndjson"), archive);
    return result;
  });
  return { ...step, done };
}

const archived = (b: Backup) => stateOf(readJsonLines(join(b.bucket, "archive.ndjson")));
const delta = (runner: FakeRunner) =>
  readJsonLines(join(runner.workspace, "health-events.ndjson")).map(versionOf);
const listCalls = (sim: Simulator) => sim.stats.byOperation.DescribeEventsForOrganization ?? 0;

describe("scheduled backups, the action", () => {
  it("two workflows with the same job and inputs, for two accounts, keep their own records and complete archives", async () => {
    const prod = await simulator(8, PROD.account);
    const staging = await simulator(21, STAGING.account);
    const router = await accountRouter({ [PROD.key]: prod.url, [STAGING.key]: staging.url });
    closers.push(() => router.close());
    const backups = [backupOf("prod", router.url, PROD.key), backupOf("staging", router.url, STAGING.key)];
    for (const at of [T1, T1 + 2 * HOUR]) {
      clock = at;
      prod.advance();
      staging.advance();
      for (const b of backups) {
        const result = await attempt(b, newRun(b), 1).done;
        expect(result.code, result.stdout).toBe(0);
      }
      expect(archived(backups[0] as Backup)).toEqual(latestState(prod));
      expect(archived(backups[1] as Backup)).toEqual(latestState(staging));
    }
    const keys = cache.entries.filter((e) => e.finalized && e.key.includes("-last-run-")).map((e) => e.key);
    const backupIds = new Set(keys.map((k) => /-last-run-backup-null-([0-9a-f]{16})-/.exec(k)?.[1]));
    expect(backupIds.size).toBe(2);
  }, 120_000);

  it("two workflows backing up one account into two buckets keep their own records too", async () => {
    const sim = await simulator(8, PROD.account);
    const daily = backupOf("daily", sim.url, PROD.key);
    const audit = backupOf("audit", sim.url, PROD.key);
    expect((await attempt(daily, newRun(daily), 1).done).code).toBe(0);
    clock = T1 + 2 * HOUR;
    sim.advance();
    expect((await attempt(daily, newRun(daily), 1).done).code).toBe(0);
    // The audit workflow's first run: its bucket is empty, so it must back up everything, not daily's delta.
    const first = await attempt(audit, newRun(audit), 1).done;
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toContain(
      `::warning::No earlier complete run found: backing up from ${FIRST_SINCE}`,
    );
    expect(first.stdout).toMatch(
      /That is further back than the 90 days AWS keeps Health events: nothing updated before \S+ can be fetched\./,
    );
    expect(archived(audit)).toEqual(latestState(sim));
  }, 60_000);

  it("Re-run failed jobs after a later step failed backs up the same window again, and the archive gets it", async () => {
    const sim = await simulator(8, PROD.account);
    const b = backupOf("prod", sim.url, PROD.key);
    expect((await attempt(b, newRun(b), 1).done).code).toBe(0);
    clock = T1 + 2 * HOUR;
    sim.advance();
    const runner = newRun(b);
    // The step completes and saves the record; the upload of the archive after it fails.
    const first = await attempt(b, runner, 1, { upload: false }).done;
    expect(first.code, first.stdout).toBe(0);
    const window = { from: first.outputs["window-from"], to: first.outputs["window-to"] };
    const firstDelta = delta(runner);
    expect(firstDelta.length).toBeGreaterThan(100);
    expect(archived(b)).not.toEqual(latestState(sim));
    // "Re-run failed jobs" ten minutes later, on a fresh runner.
    const second = await attempt(b, runner, 2, { env: fakeClock(clock + 10 * MINUTE) }).done;
    expect(second.code, second.stdout).toBe(0);
    expect({ from: second.outputs["window-from"], to: second.outputs["window-to"] }).toEqual(window);
    expect(second.stdout).toContain("the same window as the earlier attempt of this run that completed");
    expect(delta(runner)).toEqual(firstDelta);
    expect(archived(b)).toEqual(latestState(sim));
  }, 60_000);

  it("a runner clock an hour fast: the window ends at AWS's time", async () => {
    const sim = await simulator(8, PROD.account);
    const b = backupOf("prod", sim.url, PROD.key);
    const runner = newRun(b);
    const result = await attempt(b, runner, 1, { env: fakeClock(T1 + HOUR) }).done;
    expect(result.code, result.stdout).toBe(0);
    const to = result.outputs["window-to"] ?? "";
    expect(Math.abs(Date.parse(to) - T1)).toBeLessThan(5000);
    expect(delta(runner)).toEqual(expectedDelta(sim, clock, result.outputs["window-from"] ?? "", to));
  }, 30_000);

  it("a re-run whose cached token is older than 24 hours fails loudly, last-run or not, before any Health call", async () => {
    const sim = await simulator(8, PROD.account);
    const b = backupOf("prod", sim.url, PROD.key);
    const runner = newRun(b);
    const first = attempt(b, runner, 1);
    await first.waitFor(/page 3:/);
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    expect((await runner.post(INPUTS, { GITHUB_RUN_ATTEMPT: "1", ...fakeClock(clock) }).done).code).toBe(0);
    const calls = listCalls(sim);
    const second = await attempt(b, runner, 2, { env: fakeClock(clock + 25 * HOUR) }).done;
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/::error::The checkpoint \S+ is 25\.0 hours old .* cannot be resumed/);
    expect(listCalls(sim)).toBe(calls);
  }, 60_000);

  it("a record saved by release 0.1.0 names neither account nor workflow: not used, and the run says why", async () => {
    const sim = await simulator(8, PROD.account);
    const b = backupOf("prod", sim.url, PROD.key);
    // A first run leaves an entry this release wrote; it tells the compression the library uses here.
    expect((await attempt(b, newRun(b), 1).done).code).toBe(0);
    const own = cache.entries.find((e) => e.finalized && e.key.includes("-last-run-")) as CacheEntry;
    const print = releasedFingerprint(parseConfig(INPUTS, { now: clock, readFile: () => "" }).query);
    const ownPath = /-last-run-backup-null-([0-9a-f]{16})-/.exec(own.key)?.[1] ?? "";
    const legacyKey = `health-backfill-last-run-backup-null-${print}-6999-1-mhz1`;
    cache.put({
      key: legacyKey,
      version: sameCompression(
        own.version,
        `health-backfill.last-run.${ownPath}.json`,
        `health-backfill.last-run.${print}.json`,
      ),
      data: Buffer.from("release 0.1.0"),
    });
    cache.evict(own.key);
    clock = T1 + 2 * HOUR;
    sim.advance();
    const run = await attempt(b, newRun(b), 1).done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      `::warning::No earlier complete run found (The record release 0.1.0 saved for these inputs (${legacyKey}) names neither the AWS account nor the workflow, so it may be another backup's and is not used): backing up from ${FIRST_SINCE}`,
    );
    expect(archived(b)).toEqual(latestState(sim));
  }, 60_000);
});

/** The cache version of `path` with the compression of the entry whose path was `known` (see @actions/cache getCacheVersion). */
function sameCompression(version: string, known: string, path: string): string {
  const hash = (p: string, method: string) =>
    createHash("sha256").update([p, method, "1.0"].join("|")).digest("hex");
  const method = ["zstd-without-long", "zstd", "gzip"].find((m) => hash(known, m) === version);
  if (method === undefined) throw new Error("unknown compression of the record entry");
  return hash(path, method);
}
