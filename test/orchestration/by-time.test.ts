import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { backfill, type ContinueInfo, type Reporter } from "../../src/engine/backfill.ts";
import { parseCheckpoint } from "../../src/engine/checkpoint.ts";
import { CheckpointRefusedError } from "../../src/errors.ts";
import { FileCheckpointStore } from "../../src/local/checkpoint-file.ts";
import { NdjsonFileSink } from "../../src/local/output.ts";
import { fails } from "../support/usage.ts";
import { TimedSource } from "./timed-source.ts";

/** Continuing by time, in the engine: a refused or expired token, events sharing one instant. */
let dir: string;
let output: string;
let checkpoint: string;
let now: number;
let continued: ContinueInfo[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "by-time-"));
  output = join(dir, "out.ndjson");
  checkpoint = join(dir, "out.ndjson.checkpoint.json");
  now = Date.parse("2026-11-26T12:00:00Z");
  continued = [];
});

const reporter: Reporter = {
  resumed: () => {},
  restarted: () => {},
  setAside: () => {},
  continued: (info) => continued.push(info),
  window: () => {},
  page: () => {},
};

/** The active region, as the global endpoint's CNAME would name it; undefined: a fixed region. */
let active: string | undefined;
beforeEach(() => {
  active = undefined;
});

function run(source: TimedSource, pageSize: number, raw: Record<string, string> = {}) {
  const config = parseConfig(
    { since: "30d", "page-size": String(pageSize), ...raw },
    { now, readFile: () => "" },
  );
  return backfill(
    { ...config, expiredLastRun: "refuse" },
    {
      source,
      sink: new NdjsonFileSink(output),
      store: new FileCheckpointStore(checkpoint),
      clock: () => now,
      reporter,
      signal: new AbortController().signal,
      regions: {
        start: active ?? config.query.region,
        active: active === undefined ? undefined : async () => active as string,
      },
    },
  );
}

const written = () =>
  readFileSync(output, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
const all = (source: TimedSource) => source.events.map((e) => e.arn);
const token = () => parseCheckpoint(readFileSync(checkpoint, "utf8"), checkpoint).nextToken;

describe("continuing by time", () => {
  it("a token the API refuses on resume: continues from the last event written, every event once, in order", async () => {
    const source = new TimedSource([1, 3, 2, 4, 1, 2, 5, 1, 1, 3]);
    source.failAt = 3;
    await fails(run(source, 4));
    source.failAt = undefined;
    source.invalidTokens.add(token());
    const result = await run(source, 4);
    expect(written()).toEqual(all(source));
    expect(result.events).toBe(23);
    expect(continued).toHaveLength(1);
    // Two pages of four: the 1, 3 and 2 sharing their instants, then 2 of the 4 sharing one.
    expect(continued[0]).toMatchObject({
      reason: "token-refused",
      cursor: { lastUpdatedTime: source.events[7]?.lastUpdatedTime },
    });
    expect([...(continued[0]?.cursor?.skip ?? [])].sort()).toEqual(
      [source.events[6]?.arn, source.events[7]?.arn].sort(),
    );
  });

  it("events sharing one instant across the page where it stopped: those written are left out, the others come", async () => {
    const source = new TimedSource([2, 7, 2]);
    source.failAt = 2; // page 1 (the 2, then 3 of the 7 sharing one instant) is written, then it stops
    await fails(run(source, 5));
    expect(written()).toHaveLength(5);
    source.failAt = undefined;
    source.invalidTokens.add(token());
    await run(source, 5);
    expect(written()).toEqual(all(source));
    const cursor = continued[0]?.cursor;
    expect(cursor?.skip).toHaveLength(3);
    expect(cursor?.lastUpdatedTime).toBe(source.events[2]?.lastUpdatedTime);
    // The continuation asked for the same window, ending at the cursor's instant.
    const asked = source.requests.at(-2)?.filter.lastUpdatedTime;
    expect(asked?.to).toBe(cursor?.lastUpdatedTime);
  });

  it("an expired checkpoint fails loudly by default, and continues by time with expired: continue", async () => {
    const source = new TimedSource([3, 3, 3, 3, 3]);
    source.failAt = 3;
    await fails(run(source, 4));
    source.failAt = undefined;
    const before = readFileSync(output);
    now += 25 * 3_600_000;
    const calls = source.calls;
    const refused = await fails(run(source, 4));
    expect(refused).toBeInstanceOf(CheckpointRefusedError);
    expect(refused).toMatchObject({ reason: "expired" });
    expect(source.calls).toBe(calls);
    expect(readFileSync(output)).toEqual(before);
    await run(source, 4, { expired: "continue" });
    expect(written()).toEqual(all(source));
    expect(continued[0]).toMatchObject({ reason: "expired", ageMs: expect.any(Number) });
    // The expired token was never sent.
    expect(source.requests.slice(calls).every((r) => r.filter.lastUpdatedTime?.to !== undefined)).toBe(true);
  });

  it("an event updated while the backfill was stopped has left the pinned window: the rest is written once", async () => {
    const source = new TimedSource([2, 2, 2, 2, 2, 2]);
    source.failAt = 2;
    await fails(run(source, 3));
    source.failAt = undefined;
    source.invalidTokens.add(token());
    // The last event is updated after the window's until: the next run's window has it.
    const moved = source.events.pop();
    await run(source, 3);
    expect(written()).toEqual(all(source));
    expect(written()).not.toContain(moved?.arn);
  });

  it("the active region changed between attempts: the token is the old region's, so it continues by time in the new one", async () => {
    const source = new TimedSource([2, 3, 1, 4, 2, 2]);
    active = "us-east-1";
    source.failAt = 3;
    await fails(run(source, 3, { region: "auto" }));
    source.failAt = undefined;
    active = "us-east-2";
    await run(source, 3, { region: "auto" });
    expect(written()).toEqual(all(source));
    expect(continued[0]).toMatchObject({
      reason: "region-changed",
      regions: { from: "us-east-1", to: "us-east-2" },
    });
    expect(source.requests.at(-1)?.region).toBe("us-east-2");
  });

  it("the active region changes mid-run: after the page in hand it continues by time in the new region", async () => {
    const source = new TimedSource([1, 2, 3, 4, 3, 2, 1, 2, 3]);
    active = "us-east-1";
    const listed = source.listPage.bind(source);
    source.listPage = async (request, token, signal) => {
      if (source.calls === 3) active = "us-east-2"; // the switch, seen after the third page
      return listed(request, token, signal);
    };
    await run(source, 2, { region: "auto" });
    expect(written()).toEqual(all(source));
    expect(continued).toHaveLength(1);
    expect(continued[0]).toMatchObject({
      reason: "region-changed",
      regions: { from: "us-east-1", to: "us-east-2" },
    });
    const regions = source.requests.map((r) => r.region);
    expect(regions.slice(0, 3)).toEqual(["us-east-1", "us-east-1", "us-east-1"]);
    expect(regions.at(-1)).toBe("us-east-2");
  });

  it("a checkpoint of release 0.1.0's default region, us-east-1, continues by its token under region auto", async () => {
    const source = new TimedSource([3, 3, 3, 3]);
    source.failAt = 2;
    await fails(run(source, 4, { region: "us-east-1" }));
    source.failAt = undefined;
    active = "us-east-1";
    await run(source, 4, { region: "auto" });
    expect(written()).toEqual(all(source));
    expect(continued).toEqual([]);
  });

  it("any stops, refused tokens and failovers, any instants shared: the output is every event once, in the API's order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean()), { maxLength: 5 }),
        async (sizes, pageSize, stops) => {
          rmSync(output, { force: true });
          rmSync(checkpoint, { force: true });
          const source = new TimedSource(sizes);
          let done = false;
          active = "us-east-1";
          for (const [after, refuse, failover] of stops) {
            source.failAt = source.calls + after;
            done = await run(source, pageSize, { region: "auto" }).then(
              () => true,
              () => false,
            );
            source.failAt = undefined;
            if (done) break;
            if (refuse && existsSync(checkpoint)) source.invalidTokens.add(token());
            if (failover) active = active === "us-east-1" ? "us-east-2" : "us-east-1";
          }
          if (!done) await run(source, pageSize, { region: "auto" });
          expect(written()).toEqual(all(source));
        },
      ),
      { numRuns: 60 },
    );
  });
});
