import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { type BackfillDeps, backfill, type Reporter } from "../../src/engine/backfill.ts";
import { identityId, type RunRecord } from "../../src/engine/record.ts";
import { backedUpFingerprint, windowOf } from "../../src/engine/request.ts";
import type { Window } from "../../src/engine/window.ts";
import { BackfillFailedError, exitCodeOf, FinishFailedError, UsageError } from "../../src/errors.ts";
import { FileCheckpointStore } from "../../src/local/checkpoint-file.ts";
import { NdjsonFileSink } from "../../src/local/output.ts";
import { FileRecordStore, recordPath } from "../../src/local/record-file.ts";
import { fails } from "../support/usage.ts";
import { MemorySource } from "./memory-source.ts";

/** `since: last-run` in the engine: where each window starts, and when the record moves. */
const START = Date.parse("2026-11-26T12:00:00Z");
const DAY = 86_400_000;
let dir: string;
let now: number;
let windows: Window[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "last-run-"));
  now = START;
  windows = [];
});

const reporter: Reporter = {
  resumed: () => {},
  restarted: () => {},
  setAside: () => {},
  continued: () => {},
  window: (w) => windows.push(w),
  page: () => {},
};

function setup(raw: Record<string, string> = {}) {
  const config = parseConfig(
    { since: "last-run", "page-size": "10", output: join(dir, "out.ndjson"), ...raw },
    { now, readFile: () => "" },
  );
  const identity = {
    account: "111122223333",
    endpoint: "memory",
    destination: config.output,
    query: backedUpFingerprint(config.query),
  };
  const path = recordPath(config.output, identityId(identity));
  return { config, records: new FileRecordStore(path, identity), path };
}

function run(source: MemorySource, extra: Partial<BackfillDeps> = {}, raw: Record<string, string> = {}) {
  const { config, records } = setup(raw);
  return backfill(
    { ...config, expiredLastRun: "refuse" },
    {
      source,
      sink: new NdjsonFileSink(config.output),
      store: new FileCheckpointStore(config.checkpoint),
      clock: () => now,
      reporter,
      signal: new AbortController().signal,
      records,
      ...extra,
    },
  );
}

const stored = (): RunRecord => JSON.parse(readFileSync(setup().path, "utf8")) as RunRecord;
const iso = (ms: number) => new Date(ms).toISOString();

describe("since: last-run", () => {
  it("first run: no record, so from first-since; completion writes the record", async () => {
    const result = await run(new MemorySource(25));
    expect(windows[0]?.basis).toEqual({ kind: "first-since", firstSince: "90d" });
    expect(windowOf(result.request)).toEqual({ from: iso(START - 90 * DAY), to: iso(START) });
    const { records } = setup();
    expect(stored()).toEqual({
      version: 2,
      id: identityId(records.identity),
      identity: records.identity,
      from: iso(START - 90 * DAY),
      until: iso(START),
      completedAt: iso(START),
      events: 25,
      pages: 3,
    });
    expect(result.recorded).toEqual(stored());
  });

  it("the next run continues from the record's until less the overlap, and moves the record", async () => {
    await run(new MemorySource(25));
    now = START + DAY;
    const source = new MemorySource(5);
    const result = await run(source, {}, { overlap: "15m" });
    expect(windows[1]?.basis.kind).toBe("record");
    expect(windowOf(source.requests[0] ?? result.request)).toEqual({
      from: iso(START - 15 * 60_000),
      to: iso(START + DAY),
    });
    expect(stored().until).toBe(iso(START + DAY));
  });

  it("an interrupted run leaves the record; its resume keeps the pinned window and moves the record on completion", async () => {
    await run(new MemorySource(5));
    const before = readFileSync(setup().path, "utf8");
    now = START + DAY;
    const source = new MemorySource(95);
    source.failAt.set(4, new Error("boom"));
    expect(await fails(run(source))).toBeInstanceOf(BackfillFailedError);
    expect(readFileSync(setup().path, "utf8")).toBe(before);
    now = START + DAY + 3_600_000; // the re-run comes an hour later
    const resumed = await run(source);
    expect(windows.at(-1)?.basis.kind).toBe("checkpoint");
    expect(windowOf(resumed.request)).toEqual({ from: iso(START - 15 * 60_000), to: iso(START + DAY) });
    expect(new Set(source.requests.map((r) => JSON.stringify(r.filter))).size).toBe(1);
    expect(stored()).toMatchObject({ until: iso(START + DAY), events: 95, completedAt: iso(now) });
  });

  it("after completion: the checkpoint is gone before the merge, the record moves after it", async () => {
    const { config, path } = setup();
    const seen: string[] = [];
    await run(new MemorySource(25), {
      afterComplete: async () => {
        seen.push(`checkpoint ${existsSync(config.checkpoint)}`, `record ${existsSync(path)}`);
      },
    });
    expect(seen).toEqual(["checkpoint false", "record false"]);
    expect(existsSync(path)).toBe(true);
  });

  it("a failing merge: the output is complete, the record stays, and the class is the cause's", async () => {
    await run(new MemorySource(5));
    const before = readFileSync(setup().path, "utf8");
    now = START + DAY;
    const bad = await fails(
      run(new MemorySource(25), {
        afterComplete: async () => {
          throw new UsageError("Invalid merge-into: a.ndjson, line 3, is not JSON.");
        },
      }),
    );
    expect(bad).toBeInstanceOf(FinishFailedError);
    expect(exitCodeOf(bad)).toBe(2);
    expect(bad.message).toMatch(
      /^Invalid merge-into: a\.ndjson, line 3, is not JSON\. The backfill itself is complete \(25 events in .*out\.ndjson\); the last-run record was not advanced, so the next run backs up this window again\.$/,
    );
    expect(readFileSync(setup().path, "utf8")).toBe(before);
    const disk = await fails(
      run(new MemorySource(25), {
        afterComplete: async () => {
          throw new Error("ENOSPC");
        },
      }),
    );
    expect(exitCodeOf(disk)).toBe(1);
    expect(readFileSync(setup().path, "utf8")).toBe(before);
  });

  it("an unreadable record: from first-since, saying why, and replaced on completion", async () => {
    const { path } = setup();
    await run(new MemorySource(5));
    const r = stored();
    writeFileSync(path, JSON.stringify({ ...r, until: "never" }));
    now = START + DAY;
    await run(new MemorySource(5));
    expect(windows.at(-1)?.basis).toMatchObject({
      kind: "first-since",
      problem: expect.stringMatching(/until is not a time/),
    });
    expect(stored().until).toBe(iso(START + DAY));
  });

  it("a query without last-run writes no record", async () => {
    const { config } = setup({ since: "90d" });
    const result = await backfill(
      { ...config, expiredLastRun: "refuse" },
      {
        source: new MemorySource(5),
        sink: new NdjsonFileSink(config.output),
        store: new FileCheckpointStore(config.checkpoint),
        clock: () => now,
        reporter,
        signal: new AbortController().signal,
      },
    );
    expect(result.recorded).toBeUndefined();
    expect(windows[0]?.basis).toEqual({ kind: "query" });
  });
});
