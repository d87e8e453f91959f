import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateDataset, type SimEvent } from "../../src/simulator/dataset.ts";
import {
  compileFilter,
  type EventFilterInput,
  matchesFilter,
  queryEvents,
} from "../../src/simulator/filters.ts";
import { CALLER_ACCOUNT_ID } from "../../src/simulator/organization.ts";
import { type Cursor, pageEvents, pageSorted } from "../../src/simulator/paging.ts";
import { ANCHOR, DAY, defined } from "./helpers.ts";

const dataset = generateDataset({ events: 600, seed: 11, accounts: 25, anchor: ANCHOR });
const at = (i: number) => dataset[i] as SimEvent;

describe("queryEvents", () => {
  it("treats ranges as inclusive at both ends", () => {
    const t = at(100).lastUpdatedTime;
    const exact = queryEvents(dataset, "organization", { lastUpdatedTime: { from: t, to: t } });
    expect(exact.length).toBeGreaterThanOrEqual(1);
    expect(exact.every((e) => e.lastUpdatedTime.getTime() === t.getTime())).toBe(true);
    const justAfter = new Date(t.getTime() + 1);
    expect(
      queryEvents(dataset, "organization", { lastUpdatedTime: { from: justAfter, to: justAfter } }),
    ).not.toContain(at(100));
  });

  it("ORs the ranges of an account filter's list", () => {
    const a = { from: new Date(ANCHOR - 10 * DAY), to: new Date(ANCHOR - 5 * DAY) };
    const b = { from: new Date(ANCHOR - 60 * DAY), to: new Date(ANCHOR - 50 * DAY) };
    const both = queryEvents(dataset, "account", { lastUpdatedTimes: [a, b] });
    const one = queryEvents(dataset, "account", { lastUpdatedTimes: [a] });
    const two = queryEvents(dataset, "account", { lastUpdatedTimes: [b] });
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
    expect(both.map((e) => e.arn)).toEqual([...one, ...two].map((e) => e.arn));
  });

  it("shows the account scope public events plus the caller's own", () => {
    const mine = queryEvents(dataset, "account");
    expect(mine.length).toBeLessThan(dataset.length);
    expect(mine.every((e) => e.eventScopeCode === "PUBLIC" || e.accounts.includes(CALLER_ACCOUNT_ID))).toBe(
      true,
    );
    expect(mine.some((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC")).toBe(true);
  });

  it("matches list members, AZs, end times and entities", () => {
    const ec2 = queryEvents(dataset, "organization", { services: ["EC2"], eventStatusCodes: ["closed"] });
    expect(ec2.length).toBeGreaterThan(0);
    expect(ec2.every((e) => e.service === "EC2" && e.statusCode === "closed")).toBe(true);
    const zonal = dataset.find((e) => e.availabilityZone !== undefined) as SimEvent;
    expect(
      matchesFilter(zonal, "organization", { availabilityZones: [zonal.availabilityZone as string] }),
    ).toBe(true);
    expect(matchesFilter(zonal, "organization", { availabilityZones: ["xx-none-1a"] })).toBe(false);
    const open = dataset.find((e) => e.endTime === undefined) as SimEvent;
    expect(matchesFilter(open, "organization", { endTime: { from: new Date(0) } })).toBe(false);
    const withEntity = dataset.find((e) => e.entities.length > 0) as SimEvent;
    const entity = defined(withEntity.entities[0]);
    expect(queryEvents(dataset, "organization", { entityValues: [entity.entityValue] })).toContain(
      withEntity,
    );
    const forAccount = queryEvents(dataset, "organization", {
      awsAccountIds: [withEntity.accounts[0] ?? CALLER_ACCOUNT_ID],
    });
    expect(forAccount).toContain(withEntity);
  });
});

const arbFilter: fc.Arbitrary<EventFilterInput> = fc.record(
  {
    services: fc.subarray(["EC2", "RDS", "LAMBDA", "S3", "EKS", "IAM"], { minLength: 1 }),
    eventTypeCategories: fc.subarray(["issue", "accountNotification", "scheduledChange"], { minLength: 1 }),
    lastUpdatedTime: fc.record(
      {
        from: fc.integer({ min: 0, max: 90 }).map((d) => new Date(ANCHOR - d * DAY)),
        to: fc.constant(new Date(ANCHOR - 20 * DAY)),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

describe("pageEvents", () => {
  it("pages through exactly the query's result, for any filter and page size", () => {
    fc.assert(
      fc.property(
        arbFilter,
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom("organization", "account"),
        (filter, size, scope) => {
          const compiled = compileFilter(scope, filter);
          const seen: SimEvent[] = [];
          let cursor: Cursor | undefined;
          for (let guard = 0; guard < 1000; guard++) {
            const page = pageEvents(dataset, compiled, cursor, size);
            expect(page.items.length).toBeLessThanOrEqual(size);
            seen.push(...page.items);
            if (!page.next) break;
            expect(page.items).toHaveLength(size);
            cursor = page.next;
          }
          expect(seen.map((e) => e.arn)).toEqual(queryEvents(dataset, scope, filter).map((e) => e.arn));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("pageSorted", () => {
  it("continues after the cursor and says when nothing remains", () => {
    const list = ["a", "b", "c", "d", "e"];
    const key = (k: string) => ({ t: 0, k });
    const first = pageSorted(list, key, undefined, 2);
    expect(first).toEqual({ items: ["a", "b"], next: { t: 0, k: "b" } });
    expect(pageSorted(list, key, first.next, 3)).toEqual({ items: ["c", "d", "e"] });
  });
});
