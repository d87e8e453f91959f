import {
  DescribeAffectedAccountsForOrganizationCommand,
  DescribeAffectedEntitiesCommand,
  DescribeAffectedEntitiesForOrganizationCommand,
  DescribeEventDetailsCommand,
  DescribeEventDetailsForOrganizationCommand,
  type HealthClient,
  paginateDescribeAffectedAccountsForOrganization,
  paginateDescribeAffectedEntitiesForOrganization,
} from "@aws-sdk/client-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimEntity, SimEvent } from "../../src/simulator/dataset.ts";
import { CALLER_ACCOUNT_ID } from "../../src/simulator/organization.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor, expectedEvent } from "./helpers.ts";

let sim: Simulator;
let client: HealthClient;
beforeAll(async () => {
  sim = await startSimulator({ events: 600, seed: 41, accounts: 200, anchor: ANCHOR });
  client = clientFor(sim);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

const find = (p: (e: SimEvent) => boolean) => {
  const e = sim.dataset.find(p);
  if (!e) throw new Error("no such event in the dataset");
  return e;
};
const publicEvent = () => find((e) => e.eventScopeCode === "PUBLIC" && Object.keys(e.metadata).length === 0);
const multiAccount = () =>
  find((e) => e.accounts.length >= 2 && e.accounts.length <= 5 && e.entities.length >= 3);
const notAffected = (e: SimEvent) =>
  [CALLER_ACCOUNT_ID, "999999999999"].find((a) => !e.accounts.includes(a)) as string;
const UNKNOWN =
  "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_NOPE_000000";

describe("DescribeEventDetailsForOrganization", () => {
  it("applies the public / account-specific rules per filter, in request order", async () => {
    const pub = publicEvent();
    const acc = multiAccount();
    const [a1, a2] = acc.accounts as [string, string];
    const out = await client.send(
      new DescribeEventDetailsForOrganizationCommand({
        organizationEventDetailFilters: [
          { eventArn: pub.arn },
          { eventArn: pub.arn, awsAccountId: a1 },
          { eventArn: acc.arn, awsAccountId: a1 },
          { eventArn: acc.arn, awsAccountId: a2 },
          { eventArn: acc.arn },
          { eventArn: acc.arn, awsAccountId: notAffected(acc) },
          { eventArn: UNKNOWN },
        ],
      }),
    );
    expect(out.successfulSet).toEqual([
      { event: expectedEvent(pub), eventDescription: { latestDescription: pub.description } },
      expect.objectContaining({ awsAccountId: a1, event: expectedEvent(acc) }),
      expect.objectContaining({ awsAccountId: a2, event: expectedEvent(acc) }),
    ]);
    const [d1, d2] = [
      out.successfulSet?.[1]?.eventDescription?.latestDescription,
      out.successfulSet?.[2]?.eventDescription?.latestDescription,
    ];
    expect(d1).toContain(acc.description);
    expect(d1).toContain(a1);
    expect(d1).not.toBe(d2);
    expect(out.failedSet?.map((f) => [f.eventArn, f.awsAccountId, f.errorName])).toEqual([
      [pub.arn, a1, "InvalidAccountInputError"],
      [acc.arn, undefined, "InvalidAccountInputError"],
      [acc.arn, notAffected(acc), "InvalidAccountInputError"],
      [UNKNOWN, undefined, "UnknownEventArn"],
    ]);
    expect(out.failedSet?.[1]?.errorMessage).toMatch(/must enter an AWS account ID/);
  });

  it("returns event metadata when the event has some", async () => {
    const e = find((x) => Object.keys(x.metadata).length > 0 && x.eventScopeCode === "ACCOUNT_SPECIFIC");
    const out = await client.send(
      new DescribeEventDetailsForOrganizationCommand({
        organizationEventDetailFilters: [{ eventArn: e.arn, awsAccountId: e.accounts[0] as string }],
      }),
    );
    expect(out.successfulSet?.[0]?.eventMetadata).toEqual(e.metadata);
  });
});

describe("DescribeEventDetails (one account)", () => {
  it("describes what the caller can see and fails the rest", async () => {
    const pub = publicEvent();
    const mine = find(
      (e) => e.eventScopeCode === "ACCOUNT_SPECIFIC" && e.accounts.includes(CALLER_ACCOUNT_ID),
    );
    const other = find(
      (e) => e.eventScopeCode === "ACCOUNT_SPECIFIC" && !e.accounts.includes(CALLER_ACCOUNT_ID),
    );
    const out = await client.send(
      new DescribeEventDetailsCommand({ eventArns: [pub.arn, mine.arn, other.arn] }),
    );
    expect(out.successfulSet?.map((s) => s.event?.arn)).toEqual([pub.arn, mine.arn]);
    expect(out.successfulSet?.[1]?.eventDescription?.latestDescription).toContain(CALLER_ACCOUNT_ID);
    expect(out.failedSet).toEqual([
      { eventArn: other.arn, errorName: "UnknownEventArn", errorMessage: expect.any(String) },
    ]);
  });
});

describe("DescribeAffectedAccountsForOrganization", () => {
  it("pages through an event with 150 affected accounts", async () => {
    const wide = find((e) => e.accounts.length === 150);
    const pages = [];
    for await (const page of paginateDescribeAffectedAccountsForOrganization(
      { client, pageSize: 10 },
      { eventArn: wide.arn, maxResults: 10 },
    )) {
      pages.push(page);
    }
    expect(pages).toHaveLength(15);
    expect(pages.flatMap((p) => p.affectedAccounts ?? [])).toEqual(wide.accounts);
    expect(pages.every((p) => p.eventScopeCode === "ACCOUNT_SPECIFIC")).toBe(true);
  });

  it("has no accounts for a public event and scope NONE for an unknown one", async () => {
    const pub = await client.send(
      new DescribeAffectedAccountsForOrganizationCommand({ eventArn: publicEvent().arn }),
    );
    expect(pub).toMatchObject({ affectedAccounts: [], eventScopeCode: "PUBLIC" });
    expect(pub.nextToken).toBeUndefined();
    const none = await client.send(new DescribeAffectedAccountsForOrganizationCommand({ eventArn: UNKNOWN }));
    expect(none).toMatchObject({ affectedAccounts: [], eventScopeCode: "NONE" });
  });
});

/** The service's order: newest lastUpdatedTime first; the simulator breaks ties by entity ARN. */
const newestFirst = (a: SimEntity, b: SimEntity) =>
  b.lastUpdatedTime.getTime() - a.lastUpdatedTime.getTime() || (a.entityArn < b.entityArn ? -1 : 1);

describe("DescribeAffectedEntitiesForOrganization", () => {
  it("returns an account's entities newest first, paged, and fails a missing account", async () => {
    const acc = multiAccount();
    const [a1, a2] = acc.accounts as [string, string];
    const filters = [
      { eventArn: acc.arn, awsAccountId: a1 },
      { eventArn: acc.arn, awsAccountId: a2 },
      { eventArn: acc.arn },
    ];
    const pages = [];
    for await (const page of paginateDescribeAffectedEntitiesForOrganization(
      { client, pageSize: 1 },
      { organizationEntityAccountFilters: filters, maxResults: 1 },
    )) {
      pages.push(page);
    }
    const expected = acc.entities
      .filter((x) => x.awsAccountId === a1 || x.awsAccountId === a2)
      .sort(newestFirst);
    const got = pages.flatMap((p) => p.entities ?? []);
    expect(got.map((x) => x.entityArn)).toEqual(expected.map((x) => x.entityArn));
    expect(got[0]).toMatchObject({
      eventArn: acc.arn,
      awsAccountId: expected[0]?.awsAccountId,
      lastUpdatedTime: expected[0]?.lastUpdatedTime,
    });
    expect(pages[0]?.failedSet).toEqual([
      { eventArn: acc.arn, errorName: "InvalidAccountInputError", errorMessage: expect.any(String) },
    ]);
    expect(pages.slice(1).every((p) => p.failedSet === undefined)).toBe(true);
  });

  it("filters by entity status code", async () => {
    const acc = multiAccount();
    const a1 = acc.accounts[0] as string;
    const codes = ["IMPAIRED", "PENDING"] as const;
    const out = await client.send(
      new DescribeAffectedEntitiesForOrganizationCommand({
        organizationEntityAccountFilters: [{ eventArn: acc.arn, awsAccountId: a1, statusCodes: [...codes] }],
        maxResults: 100,
      }),
    );
    const expected = acc.entities.filter(
      (x) => x.awsAccountId === a1 && (codes as readonly string[]).includes(x.statusCode),
    );
    expect(out.entities?.map((x) => x.entityArn).sort()).toEqual(expected.map((x) => x.entityArn).sort());
  });
});

describe("DescribeAffectedEntities (one account)", () => {
  it("returns only the caller's entities", async () => {
    const pub = find((e) => e.eventScopeCode === "PUBLIC" && e.entities.length > 0);
    const other = find(
      (e) =>
        e.eventScopeCode === "ACCOUNT_SPECIFIC" &&
        !e.accounts.includes(CALLER_ACCOUNT_ID) &&
        e.entities.length > 0,
    );
    const out = await client.send(
      new DescribeAffectedEntitiesCommand({ filter: { eventArns: [pub.arn, other.arn] }, maxResults: 100 }),
    );
    expect(out.entities?.map((x) => x.entityArn)).toEqual(
      [...pub.entities].sort(newestFirst).map((x) => x.entityArn),
    );
    expect(out.entities?.every((x) => x.awsAccountId === CALLER_ACCOUNT_ID)).toBe(true);
  });
});
