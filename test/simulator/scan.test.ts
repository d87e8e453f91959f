import {
  type DescribeEventsCommandOutput,
  type DescribeEventsForOrganizationCommandOutput,
  type EventFilter,
  type HealthClient,
  type OrganizationEventFilter,
  paginateDescribeEvents,
  paginateDescribeEventsForOrganization,
} from "@aws-sdk/client-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryEvents } from "../../src/simulator/filters.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor, DAY, expectedEvent, expectedOrganizationEvent } from "./helpers.ts";

let sim: Simulator;
let client: HealthClient;
beforeAll(async () => {
  sim = await startSimulator({ events: 400, seed: 21, anchor: ANCHOR });
  client = clientFor(sim);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

type OrgPage = DescribeEventsForOrganizationCommandOutput;
type AccountPage = DescribeEventsCommandOutput;

async function scanOrganization(
  filter: OrganizationEventFilter,
  pageSize: number,
  startingToken?: string,
): Promise<OrgPage[]> {
  const pages: OrgPage[] = [];
  const config = { client, pageSize, stopOnSameToken: true, ...(startingToken ? { startingToken } : {}) };
  for await (const page of paginateDescribeEventsForOrganization(config, {
    filter: { ...filter },
    maxResults: pageSize,
  })) {
    pages.push(page);
  }
  return pages;
}

async function scanAccount(filter: EventFilter, pageSize: number): Promise<AccountPage[]> {
  const pages: AccountPage[] = [];
  for await (const page of paginateDescribeEvents(
    { client, pageSize, stopOnSameToken: true },
    { filter: { ...filter }, maxResults: pageSize },
  )) {
    pages.push(page);
  }
  return pages;
}

const since = new Date(ANCHOR - 60 * DAY);
const until = new Date(ANCHOR - 15 * DAY);
const ORG_FILTERS: [string, OrganizationEventFilter][] = [
  ["no filter", {}],
  ["since/until", { lastUpdatedTime: { from: since, to: until } }],
  ["services", { services: ["EC2", "RDS", "LAMBDA"] }],
  [
    "categories and since",
    { eventTypeCategories: ["scheduledChange", "accountNotification"], lastUpdatedTime: { from: since } },
  ],
];
const ACCOUNT_FILTERS: [string, EventFilter][] = [
  ["no filter", {}],
  ["two ranges", { lastUpdatedTimes: [{ from: new Date(ANCHOR - 20 * DAY) }, { from: since, to: until }] }],
  ["services and categories", { services: ["EC2", "S3", "EKS"], eventTypeCategories: ["issue"] }],
];

describe("full scans with the SDK paginators", () => {
  for (const pageSize of [1, 7, 100]) {
    for (const [name, filter] of ORG_FILTERS) {
      it(`DescribeEventsForOrganization, ${name}, page size ${pageSize}`, async () => {
        const pages = await scanOrganization(filter, pageSize);
        const expected = queryEvents(sim.dataset, "organization", filter);
        expect(expected.length).toBeGreaterThan(5);
        expect(pages.flatMap((p) => p.events ?? [])).toEqual(expected.map(expectedOrganizationEvent));
        expect(pages.length).toBe(Math.max(1, Math.ceil(expected.length / pageSize)));
        expect(pages.at(-1)?.nextToken).toBeUndefined();
      });
    }
    for (const [name, filter] of ACCOUNT_FILTERS) {
      it(`DescribeEvents, ${name}, page size ${pageSize}`, async () => {
        const pages = await scanAccount(filter, pageSize);
        const expected = queryEvents(sim.dataset, "account", filter);
        expect(expected.length).toBeGreaterThan(5);
        expect(pages.flatMap((p) => p.events ?? [])).toEqual(expected.map(expectedEvent));
      });
    }
  }
});

describe("resuming", () => {
  it("continues exactly from a mid-scan token", async () => {
    const filter = { lastUpdatedTime: { to: until } };
    const full = await scanOrganization(filter, 7);
    const k = 5;
    const token = full[k - 1]?.nextToken;
    expect(token).toBeDefined();
    const resumed = await scanOrganization(filter, 7, token);
    const arns = (pages: OrgPage[]) => pages.flatMap((p) => (p.events ?? []).map((e) => e.arn));
    expect([...arns(full.slice(0, k)), ...arns(resumed)]).toEqual(arns(full));
    expect(resumed.length).toBe(full.length - k);
  });

  it("accepts a token from another simulator with the same seed", async () => {
    const twin = await startSimulator({ events: 400, seed: 21, anchor: ANCHOR });
    const twinClient = clientFor(twin);
    try {
      const first = await scanOrganization({}, 50);
      const token = first[0]?.nextToken as string;
      const pages: OrgPage[] = [];
      const config = { client: twinClient, pageSize: 50, startingToken: token };
      for await (const page of paginateDescribeEventsForOrganization(config, { filter: {}, maxResults: 50 }))
        pages.push(page);
      expect(
        [...(first[0]?.events ?? []), ...pages.flatMap((p) => p.events ?? [])].map((e) => e.arn),
      ).toEqual(sim.dataset.map((e) => e.arn));
    } finally {
      twinClient.destroy();
      await twin.close();
    }
  });
});

describe("events added during a scan", () => {
  it("do not disturb the pages of the ongoing scan, and lead the next one", async () => {
    const local = await startSimulator({ events: 200, seed: 22, anchor: ANCHOR });
    const localClient = clientFor(local);
    try {
      const before = local.dataset.map((e) => e.arn);
      const seen: string[] = [];
      let added: string[] = [];
      let pages = 0;
      for await (const page of paginateDescribeEventsForOrganization(
        { client: localClient, pageSize: 10 },
        { maxResults: 10 },
      )) {
        seen.push(...(page.events ?? []).map((e) => e.arn as string));
        if (++pages === 3) added = local.addEvents(25).map((e) => e.arn);
      }
      expect(seen).toEqual(before);
      expect(local.dataset.slice(0, 25).map((e) => e.arn)).toEqual(added);
      const again: string[] = [];
      for await (const page of paginateDescribeEventsForOrganization(
        { client: localClient, pageSize: 100 },
        { maxResults: 100 },
      )) {
        again.push(...(page.events ?? []).map((e) => e.arn as string));
      }
      expect(again).toEqual([...added, ...before]);
    } finally {
      localClient.destroy();
      await local.close();
    }
  });
});
