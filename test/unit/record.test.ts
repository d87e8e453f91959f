import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { CoverageMeter } from "../../src/engine/coverage.ts";
import {
  type BackupIdentity,
  identityId,
  parseLegacyRecord,
  parseRecord,
  RECORD_VERSION,
  RecordUnreadableError,
  type RunRecord,
  serializeRecord,
} from "../../src/engine/record.ts";
import { backedUpFingerprint } from "../../src/engine/request.ts";
import { isWarning, resolveWindow } from "../../src/engine/window.ts";
import { describeBasis, percent } from "../../src/format.ts";
import { FileRecordStore, recordPath } from "../../src/local/record-file.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const config = (raw: RawInputs) => parseConfig(raw, { now: NOW, readFile: () => "" });

const PROD: BackupIdentity = {
  account: "111122223333",
  endpoint: "https://health.us-east-1.amazonaws.com",
  destination: "/backups/prod-archive.ndjson",
  query: "f00d",
};

function record(until: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    version: RECORD_VERSION,
    id: identityId(PROD),
    identity: PROD,
    from: iso(until - DAY),
    until: iso(until),
    completedAt: iso(until + 5000),
    events: 12,
    pages: 1,
    ...extra,
  };
}

function resolve(raw: RawInputs, found: RunRecord | undefined | RecordUnreadableError, run?: string) {
  const c = config({ since: "last-run", ...raw });
  return resolveWindow(c.query, c.lastRun, { found, now: NOW, run });
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

  it("a record a few seconds ahead of AWS's now (rounding) still continues, with an empty window at worst", () => {
    const { from, basis } = resolve({ overlap: "0s" }, record(NOW + 30_000));
    expect(from).toBe(NOW);
    expect(basis.kind).toBe("record");
  });

  it("a record whose until is after AWS's now is suspect: a warning, and the window starts where that run started", () => {
    const fast = record(NOW + HOUR);
    const { from, until, basis } = resolve({}, fast);
    expect(from).toBe(NOW + HOUR - DAY);
    expect(until).toBe(NOW);
    expect(basis).toMatchObject({ kind: "future", awsNow: iso(NOW) });
    const window = { from: iso(from ?? 0), to: iso(until), basis };
    expect(isWarning(window)).toBe(true);
    expect(describeBasis(window, NOW)).toBe(
      `The last complete run's record ends at ${iso(NOW + HOUR)}, after AWS's current time ${iso(NOW)}: it was written on a clock that ran fast, ` +
        `so events updated since it may never have been fetched. Backing up again from where that run started, ${iso(NOW + HOUR - DAY)}, to ${iso(NOW)}.`,
    );
    // A suspect record without a start: from first-since, never an empty window.
    const { from: _started, ...noStart } = fast;
    const { from: fromFirst } = resolve({ "first-since": "7d" }, noStart);
    expect(fromFirst).toBe(NOW - 7 * DAY);
  });

  it("a later attempt of the run that wrote the record backs up that run's window again", () => {
    const own = record(NOW - HOUR, { run: "4242" });
    const again = resolve({}, own, "4242");
    expect(again).toEqual({
      from: NOW - HOUR - DAY,
      until: NOW - HOUR,
      basis: { kind: "repeat", record: own },
    });
    expect(
      describeBasis({ from: iso(NOW - HOUR - DAY), to: iso(NOW - HOUR), basis: again.basis }, NOW),
    ).toMatch(
      /the same window as the earlier attempt of this run that completed .*: a re-run backs up the same delta again/,
    );
    // Another run continues from it as usual.
    expect(resolve({}, own, "4243").basis.kind).toBe("record");
    expect(resolve({}, own, undefined).basis.kind).toBe("record");
  });

  it("a first-since that reaches past AWS's 90 days warns that nothing older can be fetched", () => {
    const c = resolve({ "first-since": "120d" }, undefined);
    expect(c.from).toBe(NOW - 120 * DAY);
    const window = { from: iso(c.from ?? 0), to: iso(NOW), basis: c.basis };
    expect(isWarning(window)).toBe(true);
    expect(describeBasis(window, NOW)).toMatch(
      new RegExp(
        `That is further back than the 90 days AWS keeps Health events: nothing updated before ${iso(NOW - 90 * DAY)} can be fetched\\.$`,
      ),
    );
    expect(isWarning({ ...window, basis: resolve({ "first-since": "90d" }, undefined).basis })).toBe(false);
  });

  it("other queries keep since as written", () => {
    const c = config({ since: "2d" });
    expect(resolveWindow(c.query, c.lastRun, { found: undefined, now: NOW })).toEqual({
      from: NOW - 2 * DAY,
      until: NOW,
      basis: { kind: "query" },
    });
    const all = config({});
    expect(resolveWindow(all.query, all.lastRun, { found: undefined, now: NOW }).from).toBeUndefined();
  });
});

describe("the record document", () => {
  it("round-trips and is refused when it belongs to another backup or is damaged", () => {
    const r = record(NOW);
    expect(parseRecord(serializeRecord(r), "r.json", PROD)).toEqual(r);
    const staging = { ...PROD, account: "444455556666", destination: "/backups/staging-archive.ndjson" };
    expect(() => parseRecord(serializeRecord(r), "r.json", staging)).toThrow(
      "The last-run record r.json is unreadable: it belongs to another backup (account 111122223333, /backups/prod-archive.ndjson).",
    );
    expect(() => parseRecord("{", "r.json", PROD)).toThrow(RecordUnreadableError);
    expect(() => parseRecord(JSON.stringify({ ...r, until: "soon" }), "r.json", PROD)).toThrow(
      /until is not a time/,
    );
    expect(() => parseRecord(JSON.stringify({ ...r, version: 1 }), "r.json", PROD)).toThrow(/version 1/);
    // An identity edited by hand no longer matches its id.
    const edited = { ...r, identity: { ...PROD, account: "444455556666" } };
    expect(() => parseRecord(JSON.stringify(edited), "r.json", PROD)).toThrow(/its identity is incomplete/);
    expect(serializeRecord(r).length).toBeLessThan(600);
  });

  it("a backup's identity keeps page-size out and the query's what in", () => {
    const q = (raw: RawInputs) => backedUpFingerprint(config({ since: "last-run", ...raw }).query);
    expect(q({ "page-size": "50" })).toBe(q({}));
    for (const other of [
      { scope: "account" },
      { details: "entities" },
      { locale: "en" },
      { filter: '{"services":["EC2"]}' },
    ]) {
      expect(q(other)).not.toBe(q({}));
    }
    const id = identityId(PROD);
    expect(identityId({ ...PROD, account: "444455556666" })).not.toBe(id);
    expect(identityId({ ...PROD, destination: "/backups/other.ndjson" })).not.toBe(id);
    expect(identityId({ ...PROD, endpoint: "https://health.us-east-2.amazonaws.com" })).not.toBe(id);
    expect(identityId({ ...PROD, workflow: "o/r/.github/workflows/b.yml" })).not.toBe(id);
  });

  it("reads release 0.1.0's record of the same query, and only that", () => {
    const old = {
      version: 1,
      fingerprint: "f00d",
      from: iso(NOW - DAY),
      until: iso(NOW),
      completedAt: iso(NOW),
      events: 3,
      pages: 1,
    };
    expect(parseLegacyRecord(JSON.stringify(old), "o.json", "f00d")).toEqual({
      from: iso(NOW - DAY),
      until: iso(NOW),
      completedAt: iso(NOW),
      events: 3,
      pages: 1,
    });
    expect(() => parseLegacyRecord(JSON.stringify(old), "o.json", "beef")).toThrow(/another query/);
    expect(() => parseLegacyRecord(JSON.stringify({ ...old, version: 2 }), "o.json", "f00d")).toThrow(
      /version 2/,
    );
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

describe("release 0.1.0's record that is no regular file", () => {
  it("is named and not used, instead of blocking on a named pipe or failing on a folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "legacy-"));
    const output = join(dir, "out.ndjson");
    mkdirSync(join(dir, "health-backfill.last-run.0123456789abcdef.json"));
    execFileSync("mkfifo", [join(dir, "health-backfill.last-run.fedcba9876543210.json")]);
    for (const print of ["0123456789abcdef", "fedcba9876543210"]) {
      const path = recordPath(output, print);
      const legacy = { path, fingerprint: print, output, destination: output };
      const store = new FileRecordStore(join(dir, "current.json"), PROD, { legacy });
      const error = await store.load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordUnreadableError);
      expect((error as Error).message).toBe(
        `The record release 0.1.0 kept for these flags, ${path}, is not a regular file, so it is not used.`,
      );
    }
  });
});
