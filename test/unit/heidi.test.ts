import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { HEIDI_PREFIX, heidiDay, heidiIds, heidiObjects, heidiRecords, rfc1123 } from "../../src/s3/heidi.ts";
import { descriptionForAccount, generateDataset, type SimEvent } from "../../src/simulator/dataset.ts";
import { CALLER_ACCOUNT_ID } from "../../src/simulator/organization.ts";
import { expectedRecord } from "../support/expected.ts";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Exactly `date_parse(x, '%a, %e %b %Y %H:%i:%s GMT')` as HEIDI's queries call it, after Trino's
 * DateTimeFunctions.createDateTimeFormatter: %a and %b short English names (any case), %e a day of one or
 * two digits, %Y four digits, %H %i %s two digits each, the rest literal, the whole string consumed.
 * Joda, underneath, sets the weekday after the day of the month (moving the date within its week); a
 * weekday that does not match is refused here, which a round trip must not meet either way.
 * Returns epoch ms, or undefined where Trino would fail (HEIDI's CAST then has no time).
 */
function dateParse(x: string): number | undefined {
  const m = /^([A-Za-z]{3}), (\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(x);
  if (!m) return undefined;
  const [, a, e, b, y, h, i, s] = m as unknown as string[];
  const cap = (w: string) => w.slice(0, 1).toUpperCase() + w.slice(1).toLowerCase();
  const weekday = WEEKDAYS.indexOf(cap(a as string));
  const month = MONTHS.indexOf(cap(b as string));
  const [day, hour, minute, second] = [e, h, i, s].map(Number) as [number, number, number, number];
  if (weekday < 0 || month < 0 || hour > 23 || minute > 59 || second > 59) return undefined;
  const t = Date.UTC(Number(y), month, day, hour, minute, second);
  const d = new Date(t);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month) return undefined; // 31 Apr, 0 Mar
  if ((d.getUTCDay() + 6) % 7 !== weekday) return undefined;
  return t;
}

const ACCOUNT = "999988887777";
const ARN =
  "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7K2Q_0001";

/** An organization ACCOUNT_SPECIFIC event with two accounts, as `details: entities` writes it. */
const ORG_LINE = {
  arn: ARN,
  service: "EC2",
  eventTypeCode: "AWS_EC2_OPERATIONAL_ISSUE",
  eventTypeCategory: "issue",
  region: "us-east-1",
  startTime: "2024-03-05T08:00:00.000Z",
  endTime: "2024-03-05T10:30:00.000Z",
  lastUpdatedTime: "2024-03-05T10:31:12.345Z",
  statusCode: "closed",
  eventScopeCode: "ACCOUNT_SPECIFIC",
  affectedAccounts: ["111122223333", "444455556666"],
  details: [
    { awsAccountId: "111122223333", latestDescription: "for 1111", eventMetadata: { a: "1" } },
    { awsAccountId: "444455556666", latestDescription: "for 4444", eventMetadata: {} },
  ],
  entities: [
    {
      entityArn: "arn:e1",
      entityValue: "i-0abc",
      awsAccountId: "111122223333",
      statusCode: "IMPAIRED",
      lastUpdatedTime: "2024-03-05T10:00:00.000Z",
      tags: { team: "web", env: "prod" },
    },
    { entityArn: "arn:e2", entityValue: "i-0def", awsAccountId: "444455556666", statusCode: "UNIMPAIRED" },
    { entityArn: "arn:e3", entityValue: "vol-1", awsAccountId: "444455556666" },
  ],
  failures: [{ operation: "DescribeAffectedEntitiesForOrganization", errorName: "x", errorMessage: "y" }],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("RFC 1123 times as HEIDI's date_parse reads them", () => {
  it("the parser is the pattern: one- and two-digit days, weekday checked, whole string", () => {
    expect(dateParse("Fri, 15 Mar 2024 10:00:00 GMT")).toBe(Date.UTC(2024, 2, 15, 10));
    expect(dateParse("Tue, 05 Mar 2024 10:00:00 GMT")).toBe(Date.UTC(2024, 2, 5, 10));
    expect(dateParse("Tue, 5 Mar 2024 10:00:00 GMT")).toBe(Date.UTC(2024, 2, 5, 10));
    expect(dateParse("tue, 5 MAR 2024 10:00:00 GMT")).toBe(Date.UTC(2024, 2, 5, 10));
    expect(dateParse("Wed, 05 Mar 2024 10:00:00 GMT")).toBeUndefined(); // a Tuesday
    expect(dateParse("Tue, 05 Mar 2024 10:00:00 UTC")).toBeUndefined();
    expect(dateParse("2024-03-05T10:00:00.000Z")).toBeUndefined();
    expect(dateParse("Tue, 05 Mar 2024 10:00 GMT")).toBeUndefined();
    expect(dateParse("Wed, 31 Apr 2024 10:00:00 GMT")).toBeUndefined();
  });

  it("round-trips every second boundary of the year, leap day and single-digit days included", () => {
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3_600_000 * 7 + 61_000) {
      const ms = 999;
      expect(dateParse(rfc1123(new Date(t + ms))), new Date(t).toISOString()).toBe(t);
    }
    expect(rfc1123(new Date("2024-02-29T00:00:00Z"))).toBe("Thu, 29 Feb 2024 00:00:00 GMT");
    expect(rfc1123(new Date("2024-03-05T09:08:07.654Z"))).toBe("Tue, 05 Mar 2024 09:08:07 GMT");
  });
});

describe("heidiRecords", () => {
  it("an organization event with two accounts: one envelope per account, field by field", () => {
    const records = heidiRecords(ORG_LINE, { account: ACCOUNT, language: "en_US" }) as Record<
      string,
      unknown
    >[];
    expect(records).toHaveLength(2);
    const [first, second] = records as [Record<string, unknown>, Record<string, unknown>];
    const common = {
      eventArn: ARN,
      service: "EC2",
      eventTypeCode: "AWS_EC2_OPERATIONAL_ISSUE",
      eventTypeCategory: "issue",
      eventScopeCode: "ACCOUNT_SPECIFIC",
      statusCode: "closed",
      eventRegion: "us-east-1",
      startTime: "Tue, 05 Mar 2024 08:00:00 GMT",
      endTime: "Tue, 05 Mar 2024 10:30:00 GMT",
      lastUpdatedTime: "Tue, 05 Mar 2024 10:31:12 GMT",
    };
    expect(first).toEqual({
      version: "0",
      id: expect.stringMatching(UUID),
      "detail-type": "AWS Health Event",
      source: "heidi.health",
      account: "111122223333",
      time: "2024-03-05T10:31:12Z",
      region: "us-east-1",
      resources: ["i-0abc"],
      detail: {
        ...common,
        affectedAccount: "111122223333",
        eventDescription: [{ language: "en_US", latestDescription: "for 1111" }],
        eventMetadata: { a: "1" },
        affectedEntities: [
          {
            entityValue: "i-0abc",
            status: "IMPAIRED",
            entityArn: "arn:e1",
            entityTags: [
              { key: "team", value: "web" },
              { key: "env", value: "prod" },
            ],
          },
        ],
      },
    });
    expect(second).toEqual({
      version: "0",
      id: expect.stringMatching(UUID),
      "detail-type": "AWS Health Event",
      source: "heidi.health",
      account: "444455556666",
      time: "2024-03-05T10:31:12Z",
      region: "us-east-1",
      resources: ["i-0def", "vol-1"],
      detail: {
        ...common,
        affectedAccount: "444455556666",
        eventDescription: [{ language: "en_US", latestDescription: "for 4444" }],
        eventMetadata: {},
        affectedEntities: [
          { entityValue: "i-0def", status: "UNIMPAIRED", entityArn: "arn:e2" },
          { entityValue: "vol-1", status: "UNKNOWN", entityArn: "arn:e3" },
        ],
      },
    });
    for (const r of records) {
      const d = r.detail as Record<string, string>;
      for (const f of ["startTime", "endTime", "lastUpdatedTime"])
        expect(dateParse(d[f] as string), f).toBe(
          Math.floor(Date.parse(ORG_LINE[f as "endTime"]) / 1000) * 1000,
        );
    }
    // Nothing of what HEIDI's table has no column for leaks into the envelope.
    expect(JSON.stringify(records)).not.toContain("failures");
    expect(JSON.stringify(records)).not.toContain("awsAccountId");
  });

  it("ids are stable per version and account, and differ otherwise", () => {
    const ids = (line: Record<string, unknown>) =>
      heidiRecords(line, { account: ACCOUNT }).map((r) => (r as { id: string }).id);
    const [a, b] = ids(ORG_LINE);
    expect(ids(ORG_LINE)).toEqual([a, b]);
    expect(a).not.toBe(b);
    // The same version without the language or the details: the same id.
    expect(ids({ ...ORG_LINE, details: [] })[0]).toBe(a);
    const [newer] = ids({ ...ORG_LINE, lastUpdatedTime: "2024-03-05T10:31:13.000Z" });
    expect(newer).not.toBe(a);
  });

  it("heidiIds names a line's records by their ids, so a record read back is known again", () => {
    const ctx = { account: ACCOUNT };
    const ofRecords = (line: Record<string, unknown>) =>
      heidiRecords(line, ctx).map((r) => (r as { id: string }).id);
    expect(heidiIds(ORG_LINE, ctx)).toEqual(ofRecords(ORG_LINE));
    const dataset = generateDataset({ events: 200, seed: 5, accounts: 12, anchor: Date.UTC(2026, 10, 26) });
    for (const e of dataset) {
      const line = expectedRecord(e) as unknown as Record<string, unknown>;
      expect(heidiIds(line, ctx)).toEqual(ofRecords(line));
    }
    // A version a millisecond newer is another version, though HEIDI's `time` keeps whole seconds.
    const later = { ...ORG_LINE, lastUpdatedTime: "2024-03-05T10:31:12.346Z" };
    expect(heidiIds(later, ctx)[0]).not.toBe(heidiIds(ORG_LINE, ctx)[0]);
  });

  it("a PUBLIC event in organization scope: one envelope in the credentials' account, no affectedAccount", () => {
    const line = {
      ...ORG_LINE,
      region: "global",
      eventScopeCode: "PUBLIC",
      affectedAccounts: [],
      details: [{ latestDescription: "everyone", eventMetadata: {} }],
      entities: [],
    };
    const records = heidiRecords(line, { account: ACCOUNT });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      account: ACCOUNT,
      region: "us-east-1",
      resources: [],
      detail: {
        eventScopeCode: "PUBLIC",
        eventRegion: "global",
        eventDescription: [{ latestDescription: "everyone" }],
        affectedEntities: [],
      },
    });
    const detail = (records[0] as { detail: Record<string, unknown> }).detail;
    expect(detail).not.toHaveProperty("affectedAccount");
    expect(detail.eventDescription).toEqual([{ latestDescription: "everyone" }]); // no language given
  });

  it("account scope: the credentials' account, its entities, no affectedAccount", () => {
    const { affectedAccounts: _, ...rest } = ORG_LINE;
    const line = {
      ...rest,
      availabilityZone: "us-east-1a",
      details: [{ latestDescription: "mine", eventMetadata: { k: "v" } }],
      entities: [{ entityArn: "arn:x", entityValue: "i-1", statusCode: "IMPAIRED" }],
    };
    const [record, ...more] = heidiRecords(line, { account: ACCOUNT }) as Record<string, unknown>[];
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      account: ACCOUNT,
      resources: ["i-1"],
      detail: {
        eventDescription: [{ latestDescription: "mine" }],
        eventMetadata: { k: "v" },
        affectedEntities: [{ entityValue: "i-1", status: "IMPAIRED", entityArn: "arn:x" }],
      },
    });
    expect(record?.detail).not.toHaveProperty("affectedAccount");
    expect(JSON.stringify(record)).not.toContain("us-east-1a");
  });

  it("without endTime or details: those fields are absent, so HEIDI reads null (an open event)", () => {
    const { endTime: _e, details: _d, entities: _n, affectedAccounts: _a, ...line } = ORG_LINE;
    const [record] = heidiRecords({ ...line, statusCode: "open" }, { account: ACCOUNT }) as {
      detail: Record<string, unknown>;
      resources: unknown;
    }[];
    expect(record?.detail).not.toHaveProperty("endTime");
    expect(record?.detail).not.toHaveProperty("eventDescription");
    expect(record?.detail).not.toHaveProperty("eventMetadata");
    expect(record?.detail).not.toHaveProperty("affectedEntities");
    expect(record?.resources).toEqual([]);
    expect(record?.detail.statusCode).toBe("open");
  });

  it("refuses a line without an arn or with a time that is none", () => {
    expect(() => heidiRecords({ lastUpdatedTime: "2024-03-05T00:00:00Z" }, { account: ACCOUNT })).toThrow(
      /arn/,
    );
    expect(() => heidiRecords({ ...ORG_LINE, lastUpdatedTime: "soon" }, { account: ACCOUNT })).toThrow(
      /lastUpdatedTime "soon" is not a time/,
    );
    expect(() => heidiRecords({ ...ORG_LINE, endTime: 5 }, { account: ACCOUNT })).toThrow(/endTime/);
  });

  it("time sorts as HEIDI's rank reads it: as a string, in the order of the versions", () => {
    const times = ["2024-03-05T10:31:12.999Z", "2024-03-05T10:31:13.000Z", "2024-12-01T00:00:00.000Z"].map(
      (t) =>
        (heidiRecords({ ...ORG_LINE, lastUpdatedTime: t }, { account: ACCOUNT })[0] as { time: string }).time,
    );
    expect([...times].sort()).toEqual(times);
    expect(times[0]).toBe("2024-03-05T10:31:12Z");
  });
});

describe("heidiDay", () => {
  it("is the UTC day of lastUpdatedTime, as HEIDI's date_created projection (yyyy/MM/dd)", () => {
    expect(heidiDay({ ...ORG_LINE, lastUpdatedTime: "2024-03-05T23:59:59.999Z" })).toBe("2024/03/05");
    expect(heidiDay({ ...ORG_LINE, lastUpdatedTime: "2024-03-06T00:00:00.000Z" })).toBe("2024/03/06");
    expect(heidiDay({ ...ORG_LINE, lastUpdatedTime: "2024-03-06T01:00:00+02:00" })).toBe("2024/03/05");
  });
});

/** Lines, counting how many were taken. */
function source(lines: readonly object[]) {
  const state = { taken: 0 };
  async function* gen() {
    for (const l of lines) {
      state.taken += 1;
      yield JSON.stringify(l);
    }
  }
  return { state, lines: gen() };
}

const unzip = (body: Uint8Array) =>
  gunzipSync(body)
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const onDay = (day: number, i: number) => ({
  ...ORG_LINE,
  arn: `${ARN}_${day}_${i}`,
  lastUpdatedTime: new Date(Date.UTC(2024, 2, day, 12, 0, i)).toISOString(),
});

describe("heidiObjects", () => {
  it("groups by day; a day that comes back gets its next part; records in input order", async () => {
    const input = [onDay(7, 3), onDay(7, 2), onDay(6, 1), onDay(7, 1), onDay(5, 0)];
    const out = [];
    for await (const o of heidiObjects(source(input).lines, { account: ACCOUNT })) out.push(o);
    expect(out.map((o) => `${o.day}#${o.part}`)).toEqual([
      "2024/03/07#1",
      "2024/03/06#1",
      "2024/03/07#2",
      "2024/03/05#1",
    ]);
    expect(out.map((o) => o.records)).toEqual([4, 2, 2, 2]);
    const back = out.flatMap((o) => unzip(o.body));
    expect(back).toEqual(
      input.flatMap((l) => JSON.parse(JSON.stringify(heidiRecords(l, { account: ACCOUNT })))),
    );
    for (const o of out)
      for (const r of unzip(o.body)) expect(heidiDay({ lastUpdatedTime: r.time })).toBe(o.day);
    expect(`${HEIDI_PREFIX}${out[0]?.day}/`).toBe("DataCollection-data/heidi.health/2024/03/07/");
  });

  it("cuts a day at maxBytes, and holds no more than one object of lines", async () => {
    const input = Array.from({ length: 40 }, (_, i) => onDay(9, 59 - i));
    const oneEvent = heidiRecords(input[0] as Record<string, unknown>, { account: ACCOUNT })
      .map((r) => `${JSON.stringify(r)}\n`)
      .join("").length;
    const maxBytes = oneEvent * 3 + 10;
    const { state, lines } = source(input);
    const out = [];
    for await (const o of heidiObjects(lines, { account: ACCOUNT }, maxBytes)) {
      // Bounded: an object goes as soon as it is full, with at most the next event read ahead.
      expect(state.taken).toBeLessThanOrEqual(out.length * 3 + 4);
      expect(o.bytes).toBeLessThanOrEqual(maxBytes);
      expect(gunzipSync(o.body).length).toBe(o.bytes);
      out.push(o);
    }
    expect(out).toHaveLength(14);
    expect(out.map((o) => o.part)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(out.reduce((n, o) => n + o.records, 0)).toBe(80);
  });

  it("gives an event larger than maxBytes an object of its own", async () => {
    const out = [];
    for await (const o of heidiObjects(source([onDay(9, 2), onDay(9, 1)]).lines, { account: ACCOUNT }, 10))
      out.push(o);
    expect(out.map((o) => [o.part, o.records])).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });
});

describe("against the simulator's truth", () => {
  it("every (event, account) once, every field from the simulated event", async () => {
    const dataset = generateDataset({ events: 400, seed: 17, accounts: 30, anchor: Date.UTC(2026, 10, 26) });
    const lines = (async function* () {
      for (const e of dataset) yield JSON.stringify(expectedRecord(e));
    })();
    const byArn = new Map(dataset.map((e) => [e.arn, e]));
    const seen = new Set<string>();
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
    const ctx = { account: CALLER_ACCOUNT_ID };
    let objects = 0;
    for await (const o of heidiObjects(lines, ctx, 64 * 1024)) {
      objects += 1;
      for (const r of unzip(o.body)) {
        const d = r.detail as Record<string, unknown>;
        const e = byArn.get(d.eventArn as string) as SimEvent;
        expect(e, String(d.eventArn)).toBeDefined();
        const affected = d.affectedAccount as string | undefined;
        const account = r.account as string;
        const key = `${e.arn} ${account}`;
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
        expect(o.day).toBe(e.lastUpdatedTime.toISOString().slice(0, 10).replaceAll("-", "/"));
        expect(r.source).toBe("heidi.health");
        expect(r.time).toBe(`${e.lastUpdatedTime.toISOString().slice(0, 19)}Z`);
        expect(r.region).toBe(e.region === "global" ? "us-east-1" : e.region);
        expect(d.service).toBe(e.service);
        expect(d.eventTypeCode).toBe(e.eventTypeCode);
        expect(d.eventTypeCategory).toBe(e.eventTypeCategory);
        expect(d.eventScopeCode).toBe(e.eventScopeCode);
        expect(d.statusCode).toBe(e.statusCode);
        expect(d.eventRegion).toBe(e.region);
        expect(dateParse(d.startTime as string)).toBe(seconds(e.startTime));
        expect(dateParse(d.lastUpdatedTime as string)).toBe(seconds(e.lastUpdatedTime));
        if (e.endTime) expect(dateParse(d.endTime as string)).toBe(seconds(e.endTime));
        else expect(d).not.toHaveProperty("endTime");
        if (e.eventScopeCode === "PUBLIC") {
          expect(affected).toBeUndefined();
          expect(account).toBe(CALLER_ACCOUNT_ID);
        } else {
          expect(e.accounts).toContain(affected);
          expect(account).toBe(affected);
        }
        expect(d.eventDescription).toEqual([{ latestDescription: descriptionForAccount(e, affected) }]);
        expect(d.eventMetadata).toEqual(e.metadata);
        const own = e.entities
          .filter((x) => affected === undefined || x.awsAccountId === affected)
          .sort((x, y) => (x.entityArn < y.entityArn ? -1 : 1));
        expect(d.affectedEntities).toEqual(
          own.map((x) => ({
            entityValue: x.entityValue,
            status: x.statusCode,
            entityArn: x.entityArn,
            ...(Object.keys(x.tags).length > 0
              ? { entityTags: Object.entries(x.tags).map(([key, value]) => ({ key, value })) }
              : {}),
          })),
        );
        expect(r.resources).toEqual(own.map((x) => x.entityValue));
      }
    }
    const pairs = dataset.reduce((n, e) => n + Math.max(1, e.accounts.length), 0);
    expect(seen.size).toBe(pairs);
    expect(dataset.some((e) => e.eventScopeCode === "PUBLIC")).toBe(true);
    expect(dataset.some((e) => e.accounts.length > 1)).toBe(true);
    expect(dataset.some((e) => e.endTime === undefined)).toBe(true);
    expect(objects).toBeGreaterThan(20);
  });
});
