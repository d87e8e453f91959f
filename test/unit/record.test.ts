import { describe, expect, it } from "vitest";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { CoverageMeter } from "../../src/engine/coverage.ts";
import {
  describeBasis,
  parseRecord,
  RECORD_VERSION,
  RecordUnreadableError,
  type RunRecord,
  resolveFrom,
  serializeRecord,
} from "../../src/engine/record.ts";
import { percent } from "../../src/format.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const config = (raw: RawInputs) => parseConfig(raw, { now: NOW, readFile: () => "" });

function record(until: number): RunRecord {
  return {
    version: RECORD_VERSION,
    fingerprint: "f00d",
    until: iso(until),
    completedAt: iso(until + 5000),
    events: 12,
    pages: 1,
  };
}

function resolve(raw: RawInputs, found: RunRecord | undefined | RecordUnreadableError) {
  const c = config({ since: "last-run", ...raw });
  return resolveFrom(c.query, c.lastRun, found, NOW, NOW);
}

describe("where since: last-run starts", () => {
  it("continues from the record's until, less the overlap", () => {
    const { from, basis } = resolve({ overlap: "15m" }, record(NOW - DAY));
    expect(from).toBe(NOW - DAY - 15 * 60_000);
    expect(basis).toMatchObject({ kind: "record", overlapMs: 15 * 60_000 });
  });

  it("without a record starts from first-since (90 days by default), and says so", () => {
    const none = resolve({}, undefined);
    expect(none.from).toBe(NOW - 90 * DAY);
    expect(none.basis).toEqual({ kind: "first-since", firstSince: "90d" });
    const text = describeBasis({ from: iso(none.from ?? 0), to: iso(NOW), basis: none.basis }, NOW);
    expect(text).toBe(
      `No earlier complete run found: backing up from ${iso(NOW - 90 * DAY)} (first-since 90d) to ${iso(NOW)}.`,
    );
    const given = resolve({ "first-since": "2026-11-01T00:00:00Z" }, undefined);
    expect(given.from).toBe(Date.parse("2026-11-01T00:00:00Z"));
  });

  it("an unreadable record falls back to first-since, naming why", () => {
    const unreadable = new RecordUnreadableError(
      "The last-run record r.json is unreadable: until is not a time.",
    );
    const { from, basis } = resolve({}, unreadable);
    expect(from).toBe(NOW - 90 * DAY);
    const text = describeBasis({ from: iso(NOW - 90 * DAY), to: iso(NOW), basis }, NOW);
    expect(text).toMatch(
      /^No earlier complete run found \(The last-run record r\.json is unreadable: until is not a time\): backing up from /,
    );
  });

  it("a record older than the 90 days AWS keeps: a gap, named, and what AWS still has", () => {
    const ended = NOW - 102 * DAY;
    const { from, basis } = resolve({}, record(ended));
    expect(from).toBe(NOW - 90 * DAY);
    expect(basis).toMatchObject({ kind: "gap", lostFrom: iso(ended), lostTo: iso(NOW - 90 * DAY) });
    const text = describeBasis({ from: iso(NOW - 90 * DAY), to: iso(NOW), basis }, NOW);
    expect(text).toBe(
      `The last complete run of this query ended at ${iso(ended)}, 102 days ago, but AWS keeps Health events for 90 days: ` +
        `events updated between ${iso(ended)} and ${iso(NOW - 90 * DAY)} can no longer be fetched. ` +
        `Backing up what AWS still has, from ${iso(NOW - 90 * DAY)} to ${iso(NOW)}.`,
    );
  });

  it("an overlap that reaches past what AWS keeps is cut there, without a gap", () => {
    const { from, basis } = resolve({ overlap: "1d" }, record(NOW - 90 * DAY + HOUR));
    expect(from).toBe(NOW - 90 * DAY);
    expect(basis.kind).toBe("record");
  });

  it("a record newer than this run's until gives an empty window, not an inverted one", () => {
    const { from } = resolve({ overlap: "0s" }, record(NOW + HOUR));
    expect(from).toBe(NOW);
  });

  it("other queries keep since as written", () => {
    const c = config({ since: "2d" });
    expect(resolveFrom(c.query, c.lastRun, undefined, NOW, NOW)).toEqual({
      from: NOW - 2 * DAY,
      basis: { kind: "query" },
    });
    const all = config({});
    expect(resolveFrom(all.query, all.lastRun, undefined, NOW, NOW).from).toBeUndefined();
  });
});

describe("the record document", () => {
  it("round-trips and is refused when it belongs to another query or is damaged", () => {
    const r = record(NOW);
    expect(parseRecord(serializeRecord(r), "r.json", "f00d")).toEqual(r);
    expect(() => parseRecord(serializeRecord(r), "r.json", "beef")).toThrow(
      /The last-run record r\.json is unreadable: it belongs to another query/,
    );
    expect(() => parseRecord("{", "r.json", "f00d")).toThrow(RecordUnreadableError);
    expect(() => parseRecord(JSON.stringify({ ...r, until: "soon" }), "r.json", "f00d")).toThrow(
      /until is not a time/,
    );
    expect(() => parseRecord(JSON.stringify({ ...r, version: 2 }), "r.json", "f00d")).toThrow(/version 2/);
    expect(serializeRecord(r).length).toBeLessThan(400);
  });
});

describe("coverage of the window", () => {
  const window = { from: iso(NOW - 100_000), to: iso(NOW) };

  it("is the share of the window behind the last event written, with the time left at this pace", () => {
    const meter = new CoverageMeter(window, 0, false);
    const first = meter.page(NOW - 25_000, 1000);
    expect(first).toEqual({ covered: 0.25, reached: iso(NOW - 25_000), leftMs: 3000 });
    expect(percent(meter.page(NOW - 63_500, 2000).covered)).toBe("63%");
    expect(meter.page(NOW - 200_000, 3000)).toMatchObject({ covered: 1, leftMs: 0 });
  });

  it("a resumed attempt measures its pace from its own first page", () => {
    const meter = new CoverageMeter(window, 0, true);
    expect(meter.page(NOW - 50_000, 10_000).leftMs).toBeUndefined();
    expect(meter.page(NOW - 75_000, 11_000).leftMs).toBe(1000);
  });

  it("a window without since reaches back 90 days", () => {
    const meter = new CoverageMeter({ to: iso(NOW) }, 0, false);
    expect(meter.page(NOW - 45 * DAY, 1).covered).toBe(0.5);
  });
});
