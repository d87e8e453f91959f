import { describe, expect, it } from "vitest";
import {
  compareEvents,
  defaultAnchor,
  generateDataset,
  generateNewerEvents,
} from "../../src/simulator/dataset.ts";
import { CALLER_ACCOUNT_ID, organizationAccounts } from "../../src/simulator/organization.ts";
import { ANCHOR, DAY, defined } from "./helpers.ts";

const ARN = /^arn:aws:health:[a-z0-9-]+::event\/[A-Z0-9]+\/(AWS_[A-Z0-9_]+)\/\1_[A-Z0-9]{6}_[A-Z0-9]{6}$/;

describe("generateDataset", () => {
  it("is deterministic and fast for 100,000 events", () => {
    const started = performance.now();
    const a = generateDataset({ events: 100_000, seed: 42, accounts: 25, anchor: ANCHOR });
    const elapsed = performance.now() - started;
    const b = generateDataset({ events: 100_000, seed: 42, accounts: 25, anchor: ANCHOR });
    expect(a).toHaveLength(100_000);
    expect(b).toHaveLength(100_000);
    expect(a[0]?.arn).toBe(b[0]?.arn);
    expect(a.at(-1)?.arn).toBe(b.at(-1)?.arn);
    expect(a[50_000]).toEqual(b[50_000]);
    expect(new Set(a.map((e) => e.arn)).size).toBe(100_000);
    expect(elapsed).toBeLessThan(2000);
  });

  it("differs between seeds", () => {
    const a = generateDataset({ events: 50, seed: 1, accounts: 25, anchor: ANCHOR });
    const b = generateDataset({ events: 50, seed: 2, accounts: 25, anchor: ANCHOR });
    expect(a.map((e) => e.arn)).not.toEqual(b.map((e) => e.arn));
  });

  it("is sorted newest first with ties broken by ARN, and has ties", () => {
    const events = generateDataset({ events: 5000, seed: 3, accounts: 25, anchor: ANCHOR });
    for (let i = 1; i < events.length; i++) {
      expect(compareEvents(defined(events[i - 1]), defined(events[i]))).toBeLessThan(0);
    }
    const ties = events.filter(
      (e, i) => i > 0 && e.lastUpdatedTime.getTime() === defined(events[i - 1]).lastUpdatedTime.getTime(),
    );
    expect(ties.length).toBeGreaterThan(50);
  });

  it("looks like AWS Health data", () => {
    const events = generateDataset({ events: 5000, seed: 4, accounts: 200, anchor: ANCHOR });
    const org = new Set(organizationAccounts(4, 200));
    const publicShare = events.filter((e) => e.eventScopeCode === "PUBLIC").length / events.length;
    expect(publicShare).toBeGreaterThan(0.55);
    expect(publicShare).toBeLessThan(0.65);
    for (const e of events) {
      expect(e.arn).toMatch(ARN);
      expect(e.arn).toContain(`:${e.region}::event/${e.service}/${e.eventTypeCode}/`);
      expect(e.lastUpdatedTime.getTime()).toBeLessThanOrEqual(ANCHOR);
      expect(e.lastUpdatedTime.getTime()).toBeGreaterThan(ANCHOR - 90 * DAY);
      if (e.statusCode !== "upcoming")
        expect(e.startTime.getTime()).toBeLessThanOrEqual(e.lastUpdatedTime.getTime());
      if (e.statusCode === "closed")
        expect(defined(e.endTime).getTime()).toBeLessThanOrEqual(e.lastUpdatedTime.getTime());
      if (e.statusCode === "open") expect(e.endTime).toBeUndefined();
      if (e.statusCode === "upcoming")
        expect(e.startTime.getTime()).toBeGreaterThan(e.lastUpdatedTime.getTime());
      if (e.eventScopeCode === "PUBLIC") expect(e.accounts).toEqual([]);
      else expect(e.accounts.length).toBeGreaterThanOrEqual(1);
      for (const a of e.accounts) expect(org.has(a) && /^\d{12}$/.test(a)).toBe(true);
      expect([...e.accounts].sort()).toEqual(e.accounts);
    }
    const small = events.filter((e) => e.accounts.length >= 1 && e.accounts.length <= 5).length;
    const accountSpecific = events.filter((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC").length;
    expect(small / accountSpecific).toBeGreaterThan(0.95);
    expect(events.some((e) => e.accounts.length === 150)).toBe(true);
    expect(new Set(events.map((e) => e.eventTypeCategory))).toEqual(
      new Set(["issue", "accountNotification", "scheduledChange", "investigation"]),
    );
    expect(events.some((e) => e.availabilityZone?.startsWith(e.region))).toBe(true);
  });

  it("derives 0-4 entities per (event, account), owned by the caller for public events", () => {
    const events = generateDataset({ events: 500, seed: 5, accounts: 25, anchor: ANCHOR });
    for (const e of events) {
      const owners = e.eventScopeCode === "PUBLIC" ? [CALLER_ACCOUNT_ID] : e.accounts;
      for (const owner of owners) {
        const mine = e.entities.filter((x) => x.awsAccountId === owner);
        expect(mine.length).toBeLessThanOrEqual(4);
      }
      expect(e.entities.every((x) => owners.includes(x.awsAccountId))).toBe(true);
      expect(e.entities).toEqual(e.entities); // derived, yet stable
      for (const x of e.entities)
        expect(x.entityArn).toMatch(/^arn:aws:health:[a-z0-9-]+:\d{12}:entity\/\w{20}$/);
    }
    expect(events.reduce((n, e) => n + e.entities.length, 0)).toBeGreaterThan(500);
    expect(JSON.parse(JSON.stringify(events[0])).entities).toHaveLength(defined(events[0]).entities.length);
  });

  it("lets derived members be overwritten", () => {
    const e = defined(generateDataset({ events: 1, seed: 6, accounts: 25, anchor: ANCHOR })[0]);
    e.description = "changed";
    e.entities = [];
    expect(e).toMatchObject({ description: "changed", entities: [] });
  });
});

describe("generateNewerEvents", () => {
  it("makes events newer than a given time, newest first", () => {
    const fresh = generateNewerEvents({ seed: 1, accounts: 25 }, 1000, ANCHOR, 30);
    expect(fresh).toHaveLength(30);
    expect(fresh.every((e) => e.lastUpdatedTime.getTime() > ANCHOR)).toBe(true);
    expect([...fresh].sort(compareEvents)).toEqual(fresh);
  });
});

describe("defaultAnchor", () => {
  it("is the start of the UTC day", () => {
    expect(defaultAnchor(Date.UTC(2026, 10, 26, 17, 3, 4, 5))).toBe(Date.UTC(2026, 10, 26));
    expect(defaultAnchor(Date.UTC(2026, 10, 26))).toBe(Date.UTC(2026, 10, 26));
  });
});
