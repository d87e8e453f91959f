import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { visibleAt } from "../../src/simulator/churn.ts";
import type { Simulator, SimulatorOptions } from "../../src/simulator/server.ts";
import { churningSimulator, fakeClock } from "../support/clock.ts";
import {
  expectedDelta,
  latestState,
  readJsonLines,
  readRecord,
  stateOf,
  versionOf,
} from "../support/history.ts";
import { awsEnv, runScript, type ScriptResult } from "../support/script.ts";

/**
 * Scheduled backups with the bundled script under Node 24: `--since last-run` against a simulator whose
 * events appear and change on a clock the test moves; the script runs on the same clock (fake-clock.ts).
 */
const T1 = Date.UTC(2026, 10, 2, 9, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAGE = 25;
/** The three scheduled runs, two hours apart. */
const RUNS = [T1, T1 + 2 * HOUR, T1 + 4 * HOUR];
const FIRST_SINCE = new Date(T1 - 100 * DAY).toISOString();
const ARGS = [
  "--since",
  "last-run",
  "--first-since",
  FIRST_SINCE,
  "--page-size",
  String(PAGE),
  "--details",
  "description",
  "--output",
  "out.ndjson",
  "--merge-into",
  "archive.ndjson",
];

let sim: Simulator | undefined;
let clock = T1;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulator(o: SimulatorOptions = {}): Promise<Simulator> {
  clock = T1;
  sim = await churningSimulator(() => clock, o);
  return sim;
}

const dirOf = () => mkdtempSync(join(tmpdir(), "last-run-"));

/** The script at the simulator's current time; the simulator's clock stands still while it runs. */
function backup(
  s: Simulator,
  dir: string,
  env: Record<string, string> = {},
  args = ARGS,
): Promise<ScriptResult> {
  return runScript(args, { cwd: dir, env: { ...awsEnv(s.url), ...fakeClock(clock), ...env } });
}

const listCalls = (s: Simulator) => s.stats.byOperation.DescribeEventsForOrganization ?? 0;
const delta = (dir: string) => readJsonLines(join(dir, "out.ndjson")).map(versionOf);

describe("since: last-run, the script", () => {
  it("three scheduled runs: each delta is exactly what changed in its window, the archive the latest state", async () => {
    const s = await simulator();
    const dir = dirOf();
    const windows: { from: string; to: string }[] = [];
    const deltas = new Set<string>();
    for (const [run, at] of RUNS.entries()) {
      clock = at;
      s.advance();
      const calls = listCalls(s);
      const result = await backup(s, dir);
      expect(result.code, result.stderr).toBe(0);
      const record = readRecord(dir);
      if (!record?.from) throw new Error("no record after a complete run");
      windows.push({ from: record.from, to: record.until });
      const expected = expectedDelta(s, clock, record.from, record.until);
      expect(delta(dir)).toEqual(expected);
      for (const v of delta(dir)) deltas.add(v);
      expect(stateOf(readJsonLines(join(dir, "archive.ndjson")))).toEqual(latestState(s));
      expect(readJsonLines(join(dir, "archive.ndjson")).every((l) => Array.isArray(l.details))).toBe(true);
      if (run === 0) {
        expect(result.stderr).toContain(`No earlier complete run found: backing up from ${FIRST_SINCE}`);
        expect(expected.length).toBe(300);
      } else {
        // Only the changed events are listed, not the 90 days again.
        expect(listCalls(s) - calls).toBeLessThanOrEqual(expected.length / PAGE + 2);
        expect(expected.length).toBeGreaterThan(100);
        expect(expected.length).toBeLessThan(s.dataset.length / 2);
        expect(result.stderr).toMatch(
          /continuing the last complete run \(until \S+, completed \S+\) less 15 minutes of overlap/,
        );
        // No gap: each window starts 15 minutes before the previous one ended.
        expect(Date.parse(record.from)).toBe(Date.parse(windows[run - 1]?.to ?? "") - 15 * 60_000);
      }
      expect(result.stderr).toMatch(/Events by category \(status\): issue \d+ \(/);
      expect(result.stderr).toMatch(
        /Merged into archive\.ndjson: \d+ new and \d+ updated events; it holds \d+ events/,
      );
      expect(result.stderr).toMatch(/% of the window/);
    }
    // None missing: every change that was current when some run listed is in the deltas together.
    const seenByRuns = new Set(
      RUNS.flatMap((at) => visibleAt(s.history ?? [], at).map((v) => versionOf(v.event))),
    );
    const changes = (s.history ?? []).slice(300).map((v) => versionOf(v.event));
    const missing = changes.filter((v) => seenByRuns.has(v) && !deltas.has(v));
    expect(missing).toEqual([]);
    expect(changes.filter((v) => deltas.has(v)).length).toBeGreaterThan(200);
  }, 120_000);

  it("an interrupted incremental run resumes to an exact delta; only completion moves the record", async () => {
    const s = await simulator();
    const dir = dirOf();
    expect((await backup(s, dir)).code).toBe(0);
    const recordFile = readdirSync(dir).find((f) => f.startsWith("health-backfill.last-run.")) ?? "";
    const first = readFileSync(join(dir, recordFile), "utf8");
    clock = T1 + 3 * HOUR;
    s.advance();
    const killed = await backup(s, dir, { HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:3" });
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    expect(readFileSync(join(dir, recordFile), "utf8")).toBe(first);
    const archiveBefore = readFileSync(join(dir, "archive.ndjson"));
    // The re-run comes ten minutes later (the script's clock), against the same events.
    const resumed = await runScript(ARGS, {
      cwd: dir,
      env: { ...awsEnv(s.url), ...fakeClock(clock + 10 * 60_000) },
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming from page 4: 75 events already written/);
    expect(resumed.stderr).toMatch(/Window \(lastUpdatedTime\), pinned in the checkpoint: /);
    const record = readRecord(dir);
    if (!record?.from) throw new Error("no record");
    // The record moves to the pinned until of the interrupted attempt, not to the re-run's start.
    expect(Date.parse(record.until)).toBeGreaterThanOrEqual(clock);
    expect(Date.parse(record.until)).toBeLessThan(clock + 10 * 60_000);
    expect(delta(dir)).toEqual(expectedDelta(s, clock, record.from, record.until));
    expect(new Set(delta(dir)).size).toBe(delta(dir).length);
    expect(readFileSync(join(dir, "archive.ndjson"))).not.toEqual(archiveBefore);
    expect(stateOf(readJsonLines(join(dir, "archive.ndjson")))).toEqual(latestState(s));
  }, 60_000);

  it("a stopped attempt says how far through the window it came", async () => {
    const s = await simulator({ latencyMs: 20 });
    const dir = dirOf();
    const run = await runScript(ARGS, {
      cwd: dir,
      env: { ...awsEnv(s.url), ...fakeClock(clock) },
      signalWhen: { pattern: /page 4:/, signal: "SIGINT" },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(
      /^page 4: 100 events · 4 pages · .* · \d+% of the window, ~\d+ (s|min) left$/m,
    );
    expect(run.stderr).toMatch(
      /^Stopped at \d+% of the window \(events written back to lastUpdatedTime \S+\)\.$/m,
    );
    expect(readRecord(dir)).toBeUndefined();
  });

  it("a record older than the 90 days AWS keeps: a loud warning about the gap, then what AWS still has", async () => {
    const s = await simulator({ insertsPerMinute: 0, updatesPerMinute: 0 });
    const dir = dirOf();
    expect((await backup(s, dir)).code).toBe(0);
    const until = readRecord(dir)?.until ?? "";
    clock = T1 + 100 * DAY + HOUR; // a whole hour past 100 days, whatever the start-up time of each run
    const run = await backup(s, dir);
    expect(run.code, run.stderr).toBe(0);
    const from = readRecord(dir)?.from ?? "";
    expect(Math.abs(Date.parse(from) - (clock - 90 * DAY))).toBeLessThan(5000);
    expect(run.stderr).toContain(
      `⚠ The last complete run of this query ended at ${until}, 100 days ago, but AWS keeps Health events for 90 days: ` +
        `events updated between ${until} and ${from} can no longer be fetched. Backing up what AWS still has, from ${from} to `,
    );
  });

  it("kill -9 anywhere in the merge or the record leaves the old archive intact; the next run finishes the job", async () => {
    const s = await simulator();
    // Each kill starts from the same backup: the same folder (a backup is its archive's real path),
    // laid again from a copy of the first run's files.
    const dir = dirOf();
    expect((await backup(s, dir)).code).toBe(0);
    const template = dirOf();
    cpSync(dir, template, { recursive: true });
    const oldArchive = readFileSync(join(template, "archive.ndjson"));
    clock = T1 + 2 * HOUR;
    s.advance();
    let killed = 0;
    const killAndFinish = async (kill: string) => {
      try {
        rmSync(dir, { recursive: true, force: true });
        cpSync(template, dir, { recursive: true });
        const run = await backup(s, dir, { HEALTH_BACKFILL_KILL_AT: kill });
        expect(run.signal, `${kill}: ${run.stderr}`).toBe("SIGKILL");
        killed += 1;
        // Killed after the rename: the new archive is whole, only the record may be behind.
        if (kill === "merge-renamed:1" || kill.startsWith("record-"))
          expect(stateOf(readJsonLines(join(dir, "archive.ndjson")))).toEqual(latestState(s));
        else expect(readFileSync(join(dir, "archive.ndjson"))).toEqual(oldArchive);
        const next = await backup(s, dir);
        expect(next.code, next.stderr).toBe(0);
        expect(stateOf(readJsonLines(join(dir, "archive.ndjson")))).toEqual(latestState(s));
        expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        expect(readRecord(dir)?.until).not.toBe(readRecord(template)?.until);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
      }
    };
    for (const point of ["merge-temp-synced", "merge-renamed", "record-temp-synced", "record-renamed"]) {
      await killAndFinish(`${point}:1`);
    }
    // The new archive has 360 lines: a kill after any of them.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 360 }), (n) => killAndFinish(`merge-line:${n}`)),
      { numRuns: 6 },
    );
    expect(killed).toBe(10);
  }, 180_000);

  it("bad input is one line and exit 2, and touches nothing", async () => {
    const dir = dirOf();
    writeFileSync(join(dir, "out.ndjson"), "precious\n");
    writeFileSync(
      join(dir, "archive.ndjson"),
      '{"arn":"a","lastUpdatedTime":"2026-11-01T00:00:00Z"}\nnot json\n',
    );
    const cases: [string[], RegExp][] = [
      [
        ["--merge-into", "./out.ndjson"],
        /^health-backfill: Invalid merge-into: \.\/out\.ndjson is the same file as the output out\.ndjson\./,
      ],
      [
        ["--merge-into", "out.ndjson.checkpoint.json"],
        /Invalid merge-into: .* is the same file as the checkpoint /,
      ],
      [["--overlap=-5m"], /Invalid overlap: "-5m"/],
      [["--overlap", "2d"], /Invalid overlap: "2d"\. .*at most 1d/],
      [["--first-since", "never"], /Invalid first-since: "never"/],
      [["--since", "last"], /Invalid since: "last"\. .* or last-run/],
      [
        ["--merge-into", "archive.ndjson"],
        /^health-backfill: Invalid merge-into: archive\.ndjson, line 2, is not JSON .*Nothing was replaced; fix or remove that line\.$/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runScript(["--since", "last-run", "--output", "out.ndjson", ...args], {
        cwd: dir,
        env: awsEnv("http://127.0.0.1:9"),
      });
      expect(run.code, args.join(" ")).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
    expect(readFileSync(join(dir, "out.ndjson"), "utf8")).toBe("precious\n");
    expect(readdirSync(dir).sort()).toEqual(["archive.ndjson", "out.ndjson"]);
    expect(existsSync(join(dir, "out.ndjson.checkpoint.json"))).toBe(false);
  });
});
