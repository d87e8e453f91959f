import { describe, expect, it } from "vitest";
import { cacheKeys, keyPart } from "../../src/action/cache/keys.ts";
import { parseConfig, type RawInputs } from "../../src/config/config.ts";
import { parseFilter } from "../../src/config/filter.ts";
import type { Scope } from "../../src/config/names.ts";
import { fingerprint } from "../../src/engine/request.ts";
import { sentence } from "../../src/errors.ts";
import { usage } from "../support/usage.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const ctx = { now: NOW, readFile: () => '\uFEFF{"services":["EC2"]}' };

/** Every message: one line, one full stop at the end, values shortened. */
function expectOneLine(message: string): void {
  expect(message).not.toContain("\n");
  expect(message).toMatch(/[^.]\.$/);
  expect(message.length).toBeLessThan(400);
}

describe("inputs validated as the service model allows", () => {
  const long = "x".repeat(5000);
  it.each([
    ["organization", { eventTypeCodes: ["AB"] }, /eventTypeCodes has "AB", not 3 to 100 characters/],
    ["organization", { eventTypeCodes: ["AWS:EC2"] }, /without : or \//],
    ["organization", { services: ["E"] }, /services has "E", not 2 to 30 characters/],
    ["organization", { regions: [long] }, /regions has "x+…" \(5000 characters\)/],
    ["organization", { eventStatusCodes: ["broken"] }, /allowed: open, closed, upcoming/],
    ["organization", { actionabilities: ["MAYBE"] }, /allowed: ACTION_REQUIRED/],
    ["organization", { personas: ["DEVELOPER"] }, /allowed: OPERATIONS, SECURITY, BILLING/],
    ["organization", { entityValues: [long] }, /not 1 to 1224 characters/],
    ["organization", { entityArns: Array.from({ length: 100 }, (_, i) => `e${i}`) }, /1 to 99 strings/],
    ["organization", { awsAccountIds: [123456789012] }, /must hold non-empty strings, got "123456789012"/],
    ["organization", { services: [] }, /services must be a list of 1 to 10 strings/],
    ["organization", { services: "EC2" }, /services must be a list/],
    [
      "organization",
      { startTime: { from: "2026-02-30T00:00:00Z" } },
      /startTime\.from must be an ISO 8601 time that exists/,
    ],
    ["organization", { startTime: { from: "2026-11-01T24:30:00Z" } }, /that exists/],
    ["organization", { startTime: { from: "1969-12-31T00:00:00Z" } }, /from 1970 on/],
    [
      "organization",
      { startTime: { from: "2026-11-02", to: "2026-11-01" } },
      /startTime\.from \(2026-11-02T00:00:00\.000Z\) is after startTime\.to/,
    ],
    ["organization", { startTime: {} }, /needs "from", "to" or both/],
    ["organization", { startTime: [] }, /startTime must be an object/],
    ["organization", { endTime: { from: "2026-01-01", until: "x" } }, /takes only "from" and "to"/],
    ["account", { eventArns: ["arn:aws:health:us-east-1::event/EC2"] }, /not an AWS Health event ARN/],
    ["account", { availabilityZones: ["zone-a"] }, /not an Availability Zone/],
    ["account", { startTimes: [{ from: "2026-11-02", to: "2026-11-01" }] }, /is after/],
    ["account", { startTimes: [] }, /1 to 10 ranges/],
    ["account", { tags: [{ team: 5 }] }, /values strings of at most 255/],
    ["account", { tags: ["team"] }, /at most 50 tags/],
    ["account", { tags: [{ ["k".repeat(128)]: "v" }] }, /keys are at most 127 characters/],
    ["account", { toString: ["x"] }, /"toString" is not a member of the account event filter/],
    ["account", JSON.parse('{"__proto__":{"services":["EC2"]}}'), /"__proto__" is not a member/],
    ["organization", { constructor: ["x"] }, /"constructor" is not a member/],
  ] as [Scope, object, RegExp][])("%s filter %j: one line, exit 2", (scope, filter, message) => {
    const text = usage(() => parseFilter(JSON.stringify(filter), scope));
    expect(text).toMatch(message);
    expectOneLine(text);
  });

  it.each([
    ['{"services":["EC2"],"services":["S3"]}', /^Invalid filter: "services" appears twice in one object;/],
    ['{"startTime":{"from":"2026-11-01","\\u0066rom":"2026-11-02"}}', /"from" appears twice/],
    ['{"tags":[{"team":"a"},{"team":"b","x":"1","team":"c"}]}', /"team" appears twice/],
  ])("refuses a member written twice, naming it: %s", (json, message) => {
    const text = usage(() => parseFilter(json, json.includes("tags") ? "account" : "organization"));
    expect(text).toMatch(message);
    expectOneLine(text);
  });

  it("takes the same name in different objects, and names a filter nested too deeply", () => {
    const json = '{"tags":[{"team":"a"},{"team":"b"}],"services":["EC2"]}';
    expect(parseFilter(json, "account")).toEqual(JSON.parse(json));
    for (const deep of [
      `{"services":${"[".repeat(5000)}${"]".repeat(5000)}}`,
      `{"startTime":${'{"from":'.repeat(5000)}1${"}".repeat(5000)}}`,
    ]) {
      const text = usage(() => parseFilter(deep, "organization"));
      expect(text).toMatch(/^Invalid filter: nested too deeply \(.*\)\. A filter nests at most 3 levels/);
      expectOneLine(text);
    }
  });

  it("accepts every member the service model has, with valid values", () => {
    const org = {
      eventTypeCodes: ["AWS_EC2_OPERATIONAL_ISSUE"],
      services: ["EC2"],
      regions: ["us-east-1"],
      awsAccountIds: ["123456789012"],
      eventTypeCategories: ["issue"],
      eventStatusCodes: ["open", "closed"],
      actionabilities: ["ACTION_REQUIRED"],
      personas: ["OPERATIONS"],
      entityArns: ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
      entityValues: ["i-1"],
      startTime: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00+02:00" },
      endTime: { to: "2026-03-01" },
    };
    expect(Object.keys(parseFilter(JSON.stringify(org), "organization"))).toEqual(Object.keys(org));
    const account = {
      eventArns: [
        "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
      ],
      availabilityZones: ["us-east-1a"],
      startTimes: [{ from: "2026-01-01" }],
      endTimes: [{ to: "2026-01-02" }],
      tags: [{ team: "ops" }],
    };
    expect(Object.keys(parseFilter(JSON.stringify(account), "account"))).toEqual(Object.keys(account));
  });

  it.each([
    [{ since: "2026-02-29" }, /Invalid since: "2026-02-29"\. Write an ISO 8601 time that exists/],
    [{ since: "2026-04-31T10:00:00Z" }, /Invalid since/],
    [{ until: "2026-11-01T10:61:00Z" }, /Invalid until/],
    [{ since: "999999999d" }, /Invalid since: "999999999d"\. Write a duration .* at most 36500d\./],
    [{ "max-checkpoint-age": "999999999d" }, /Invalid max-checkpoint-age/],
    [{ since: "1969-01-01" }, /from 1970 on/],
    [{ filter: "x".repeat(3000) }, /Invalid filter: not valid JSON/],
    [{ locale: "y".repeat(300) }, /Invalid locale: "y+…" \(300 characters\)/],
  ] as [RawInputs, RegExp][])("rejects %j as a time or duration that cannot be", (raw, message) => {
    const text = usage(() => parseConfig(raw, ctx));
    expect(text).toMatch(message);
    expectOneLine(text);
  });

  it("rejects an endpoint that is not an http(s) URL, and names a good one", () => {
    const text = usage(() => parseConfig({}, { ...ctx, endpoint: "localhost:4566" }));
    expect(text).toMatch(
      /^Invalid AWS_ENDPOINT_URL_HEALTH: "localhost:4566"\. Allowed: an http or https URL/,
    );
    expect(parseConfig({}, { ...ctx, endpoint: "http://127.0.0.1:4566" }).endpoint).toBe(
      "http://127.0.0.1:4566",
    );
  });

  it("accepts a filter file with a UTF-8 byte-order mark", () => {
    expect(parseConfig({ filter: "@f.json" }, ctx).query.filter).toEqual({ services: ["EC2"] });
  });

  it("a simulated backfill is another query than a real one, and than one of another size", () => {
    const real = parseConfig({}, ctx).query;
    const small = parseConfig({ simulate: "2000" }, ctx).query;
    const large = parseConfig({ simulate: "5000" }, ctx).query;
    expect(new Set([fingerprint(real), fingerprint(small), fingerprint(large)]).size).toBe(3);
    // Real backfills keep the fingerprint of earlier releases: their checkpoints stay usable.
    expect(real).not.toHaveProperty("source");
  });

  it("keeps the fingerprint release 0.1.0 gave the same query, so its checkpoints stay usable", () => {
    // Computed with release 0.1.0's src/engine/request.ts (commit 839d5df) for this query.
    // Release 0.1.0's default region was us-east-1; region auto continues its checkpoints (by-time.test.ts).
    const query = parseConfig(
      { since: "90d", filter: '{"services":["EC2"]}', details: "entities", region: "us-east-1" },
      ctx,
    ).query;
    expect(fingerprint(query)).toBe("adfb55c064938d7c");
    // since and until are parsed once; the parsed bounds are not part of what identifies the query.
    expect(query.bounds).toEqual({ since: { ago: 90 * 86_400_000 } });
  });
});

describe("cache keys", () => {
  const run = {
    job: "backfill",
    runId: "42",
    attempt: 1,
    repository: "o/r",
    apiUrl: "http://127.0.0.1",
    runnerTemp: "/tmp",
  };

  it("keep distinct checkpoint-keys distinct, however long or unusual", () => {
    const prefix = "health-backfill-organization-o-abcdefghij-production-eu-central-1-management-account";
    const keys = [
      `${prefix}-111111111111`,
      `${prefix}-222222222222`,
      "team a",
      "team_a",
      "team,a".replace(",", "/"),
      "team~a",
      "x".repeat(200),
      `${"x".repeat(199)}y`,
    ].map((p) => cacheKeys(p, run, "null", "f".repeat(16)).run);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key.length).toBeLessThan(140);
      expect(key).not.toContain(",");
    }
  });

  it("keep a plain prefix readable and as it was, and split prefix and job one way only", () => {
    expect(keyPart("health-backfill")).toBe("health-backfill");
    expect(cacheKeys("health-backfill", run, "null", "0123456789abcdef").upload(3)).toBe(
      "health-backfill-backfill-null-0123456789abcdef-42-1-000003",
    );
    const a = cacheKeys("a-b", { ...run, job: "c" }, "null", "f").run;
    const b = cacheKeys("a", { ...run, job: "b-c" }, "null", "f").run;
    expect(a).not.toBe(b);
  });
});

describe("messages", () => {
  it("end with exactly one full stop", () => {
    expect(sentence("Rate exceeded")).toBe("Rate exceeded.");
    expect(sentence("Rate exceeded.")).toBe("Rate exceeded.");
    expect(sentence("Done! ")).toBe("Done!");
  });
});
