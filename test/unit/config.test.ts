import { describe, expect, it } from "vitest";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { parseFilter } from "../../src/config/filter.ts";
import { parseBound, parseDuration, timeOf } from "../../src/config/parse.ts";
import { fingerprint, resolveRequest } from "../../src/engine/request.ts";
import { resolveWindow } from "../../src/engine/window.ts";
import { describeDuration } from "../../src/format.ts";
import { usage } from "../support/usage.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const ctx = {
  now: NOW,
  readFile: (path: string) => {
    if (path === "f.json") return '{"services":["EC2"]}';
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  },
};
const parse = (raw: RawInputs) => parseConfig(raw, ctx);

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = parse({});
    expect(c.query).toEqual({
      scope: "organization",
      region: "auto",
      filter: {},
      pageSize: 100,
      details: "description",
      bounds: {},
    });
    expect(c.output).toBe("health-events.ndjson");
    expect(c.checkpoint).toBe("health-events.ndjson.checkpoint.json");
    expect(c.maxCheckpointAgeMs).toBe(24 * 3600_000);
    expect(c.restart).toBe(false);
    expect(c.simulate).toBeUndefined();
    expect(c.lastRun).toEqual({
      overlapMs: 15 * 60_000,
      firstSince: "90d",
      firstSinceBound: { ago: 90 * 86_400_000 },
    });
    expect(c.mergeInto).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ "page-size": "0" }, /Invalid page-size: "0"\. Allowed: a whole number from 1 to 100\./],
    [{ "page-size": "101" }, /page-size/],
    [{ "page-size": "10.5" }, /page-size/],
    [{ scope: "org" }, /Invalid scope: "org"\. Allowed: organization, account\./],
    [{ region: "us-west-2" }, /Invalid region: "us-west-2"\. Allowed: auto, us-east-1, us-east-2/],
    [{ details: "all" }, /Invalid details/],
    [{ since: "yesterday" }, /Invalid since: "yesterday"\. Write an ISO 8601 time/],
    [{ since: "2026-13-01" }, /Invalid since/],
    [{ "max-checkpoint-age": "1 day" }, /Invalid max-checkpoint-age: "1 day"\. Write a duration/],
    [{ restart: "yes" }, /Invalid restart: "yes"\. Allowed: true or false\./],
    [{ simulate: "lots" }, /Invalid simulate/],
    [{ since: "1d", until: "2d" }, /is not before until/],
    [{ until: "2027-01-01T00:00:00Z" }, /lies in the future/],
    [{ filter: "{services:" }, /Invalid filter: not valid JSON/],
    [{ filter: "@missing.json" }, /Invalid filter: cannot read missing.json/],
    [{ locale: "English please" }, /Invalid locale/],
    [
      { since: "last run" },
      /Invalid since: "last run"\. .*or last-run \(continue from the last complete run\)/,
    ],
    [{ overlap: "-5m" }, /Invalid overlap: "-5m"\. Write a duration .*at most 1d\./],
    [{ overlap: "25h" }, /Invalid overlap: "25h"\. .*at most 1d\./],
    [{ overlap: "15 minutes" }, /Invalid overlap/],
    [{ "first-since": "the beginning" }, /Invalid first-since: "the beginning"\. Write an ISO 8601 time/],
    [
      { since: "last-run", "first-since": "2026-11-27T00:00:00Z" },
      /Invalid first-since: .* is not before until/,
    ],
  ] as [RawInputs, RegExp][])("rejects %j with one line naming the input", (raw, message) => {
    const text = usage(() => parse(raw));
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
  });

  it("accepts durations, ISO times, booleans, simulate forms and @file filters", () => {
    expect(parseDuration("x", "90s")).toBe(90_000);
    expect(parseDuration("x", "36h")).toBe(36 * 3600_000);
    const at = (value: string) => timeOf(parseBound("since", value), NOW);
    expect(at("90d")).toBe(NOW - 90 * 86_400_000);
    expect(at("2026-08-01T00:00:00Z")).toBe(Date.parse("2026-08-01T00:00:00Z"));
    expect(at("2026-08-01")).toBe(Date.parse("2026-08-01T00:00:00Z"));
    expect(parse({ restart: "true" }).restart).toBe(true);
    expect(parse({ simulate: "true" }).simulate).toBe(2000);
    expect(parse({ simulate: "500" }).simulate).toBe(500);
    expect(parse({ simulate: "false" }).simulate).toBeUndefined();
    expect(parse({ filter: "@f.json" }).query.filter).toEqual({ services: ["EC2"] });
  });

  it("takes since: last-run with its overlap, first-since and merge-into", () => {
    const c = parse({
      since: "last-run",
      overlap: "1d",
      "first-since": "2026-09-01",
      "merge-into": " archive.ndjson ",
    });
    expect(c.query.since).toBe("last-run");
    expect(c.lastRun).toEqual({
      overlapMs: 86_400_000,
      firstSince: "2026-09-01",
      firstSinceBound: { at: Date.parse("2026-09-01T00:00:00Z") },
    });
    expect(c.mergeInto).toBe("archive.ndjson");
    expect(parse({ overlap: "0s" }).lastRun.overlapMs).toBe(0);
    // A window older than the default first-since is no concern of a query without last-run.
    expect(parse({ since: "2026-01-01", until: "2026-02-01" }).query.until).toBe("2026-02-01");
  });
});

describe("filter", () => {
  it("validates members per scope against the API's limits", () => {
    expect(parseFilter('{"awsAccountIds":["123456789012"]}', "organization")).toEqual({
      awsAccountIds: ["123456789012"],
    });
    expect(() => parseFilter('{"awsAccountIds":["123456789012"]}', "account")).toThrow(
      /not a member of the account event filter/,
    );
    expect(() => parseFilter('{"eventArns":["a"]}', "organization")).toThrow(
      /not a member of the organization/,
    );
    const eleven = JSON.stringify({ services: Array.from({ length: 11 }, (_, i) => `S${i}`) });
    expect(() => parseFilter(eleven, "organization")).toThrow(/services must be a list of 1 to 10 strings/);
    expect(() => parseFilter('{"eventTypeCategories":["outage"]}', "account")).toThrow(
      /allowed: issue, accountNotification/,
    );
    expect(() => parseFilter('{"lastUpdatedTime":{}}', "organization")).toThrow(
      /with the since and until inputs/,
    );
    expect(() => parseFilter('{"awsAccountIds":["12"]}', "organization")).toThrow(/12-digit/);
    expect(() => parseFilter("[]", "organization")).toThrow(/must be a JSON object/);
    expect(parseFilter('{"startTime":{"from":"2026-01-01"}}', "organization")).toEqual({
      startTime: { from: "2026-01-01T00:00:00.000Z" },
    });
    expect(() => parseFilter('{"startTime":{"from":"soon"}}', "organization")).toThrow(/ISO 8601/);
  });
});

describe("request and fingerprint", () => {
  it("resolves since/until once and pins until at the first attempt", () => {
    const window = (raw: RawInputs) => {
      const { query, lastRun } = parse(raw);
      return [query, resolveWindow(query, lastRun, { found: undefined, now: NOW })] as const;
    };
    const org = resolveRequest(...window({ since: "90d" }));
    expect(org.filter.lastUpdatedTime).toEqual({
      from: new Date(NOW - 90 * 86_400_000).toISOString(),
      to: new Date(NOW).toISOString(),
    });
    const account = resolveRequest(...window({ scope: "account", since: "1d" }));
    expect(account.filter.lastUpdatedTimes).toEqual([
      { from: new Date(NOW - 86_400_000).toISOString(), to: new Date(NOW).toISOString() },
    ]);
  });

  it("identifies the query as configured: 90d tomorrow is the same backfill, other inputs are not", () => {
    const today = parseConfig({ since: "90d" }, ctx).query;
    const tomorrow = parseConfig({ since: "90d" }, { ...ctx, now: NOW + 86_400_000 }).query;
    expect(fingerprint(today)).toBe(fingerprint(tomorrow));
    expect(fingerprint(today)).not.toBe(fingerprint(parse({ since: "30d" }).query));
    expect(fingerprint(today)).not.toBe(fingerprint(parse({ since: "90d", "page-size": "50" }).query));
    // last-run is part of the query; how it resolves is not, so changing the overlap keeps the record.
    const lastRun = parse({ since: "last-run" });
    expect(fingerprint(lastRun.query)).not.toBe(fingerprint(today));
    expect(fingerprint(parse({ since: "last-run", overlap: "1h", "first-since": "30d" }).query)).toBe(
      fingerprint(lastRun.query),
    );
    expect(fingerprint(parse({ filter: '{"services":["EC2"],"regions":["us-east-1"]}' }).query)).toBe(
      fingerprint(parse({ filter: '{"regions":["us-east-1"],"services":["EC2"]}' }).query),
    );
  });
});

describe("durations in messages", () => {
  it("reads like a person would say it", () => {
    expect(describeDuration(1000)).toBe("1 second");
    expect(describeDuration(45_000)).toBe("45 seconds");
    expect(describeDuration(12 * 60_000)).toBe("12 minutes");
    expect(describeDuration(25 * 3_600_000)).toBe("25.0 hours");
    expect(describeDuration(102 * 86_400_000 + 5)).toBe("102 days");
  });
});

describe("archive and layout", () => {
  it("reads s3://bucket/prefix, with or without slashes, and the bucket alone", () => {
    expect(parse({ archive: "s3://my-bucket/health/org/" }).archive).toEqual({
      bucket: "my-bucket",
      prefix: "health/org",
      url: "s3://my-bucket/health/org",
    });
    expect(parse({ archive: "s3://my-bucket" }).archive).toEqual({
      bucket: "my-bucket",
      prefix: "",
      url: "s3://my-bucket",
    });
    expect(parse({}).archive).toBeUndefined();
    expect(parse({}).layout).toBe("standard");
    expect(parse({ archive: "s3://b-1/x", layout: "heidi" }).layout).toBe("heidi");
  });

  it("refuses what is no S3 location, names the input and what is allowed", () => {
    expect(usage(() => parse({ archive: "archive.ndjson" }))).toBe(
      'Invalid archive: "archive.ndjson". Allowed: s3://bucket or s3://bucket/prefix (a bucket name of 3 to 63 characters a-z 0-9 . -); a local JSON Lines archive is merge-into.',
    );
    expect(usage(() => parse({ archive: "s3://My_Bucket/x" }))).toMatch(
      /^Invalid archive: "My_Bucket" is not a bucket name\./,
    );
    expect(usage(() => parse({ archive: "s3://bucket/a//b" }))).toMatch(
      /^Invalid archive: the prefix "a\/\/b" has an empty, \. or \.\. folder\./,
    );
    expect(usage(() => parse({ archive: "s3://bucket/../b" }))).toMatch(/has an empty, \. or \.\. folder/);
  });

  it("refuses two archives, and heidi without an S3 archive", () => {
    expect(usage(() => parse({ archive: "s3://bucket/x", "merge-into": "a.ndjson" }))).toBe(
      'Invalid archive: s3://bucket/x and merge-into "a.ndjson" are both set. Allowed: one archive, in S3 (archive) or in a local file (merge-into).',
    );
    expect(usage(() => parse({ layout: "heidi" }))).toMatch(
      /^Invalid layout: heidi writes into an S3 archive, and archive is empty\./,
    );
    expect(usage(() => parse({ archive: "s3://bucket/x", layout: "athena" }))).toMatch(/^Invalid layout: /);
  });
});
