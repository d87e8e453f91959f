import {
  DescribeEventDetailsForOrganizationCommand,
  type HealthClient,
  paginateDescribeAffectedAccountsForOrganization,
  paginateDescribeAffectedEntitiesForOrganization,
  paginateDescribeEventsForOrganization,
} from "@aws-sdk/client-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../../src/simulator/cli.ts";
import { generateDataset, type SimEvent } from "../../src/simulator/dataset.ts";
import { entitiesOfAccount, organizationAccounts } from "../../src/simulator/organization.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor } from "./helpers.ts";

// A wide organization: 1,500 accounts, account-specific events that reach from one to all of them,
// up to 12 entities per (event, account), so an entities request of ten accounts needs two pages.
const WIDE = { accounts: 1500, accountsPerEvent: 1500, entitiesPerAccount: 12 } as const;

let sim: Simulator;
let client: HealthClient;
beforeAll(async () => {
  sim = await startSimulator({ events: 60, seed: 9, anchor: ANCHOR, ...WIDE });
  client = clientFor(sim);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

const specific = () => sim.dataset.filter((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC");
const widest = () => specific().reduce((a, b) => (b.accounts.length > a.accounts.length ? b : a));

describe("a wide organization", () => {
  it("has account-specific events that reach from one to all of its accounts", () => {
    const widths = specific().map((e) => e.accounts.length);
    expect(Math.max(...widths)).toBe(1500);
    expect(widths.every((n) => n >= 1 && n <= 1500)).toBe(true);
    // Evenly spread, not the narrow mix of mostly 1-5 accounts.
    expect(widths.filter((n) => n > 150).length / widths.length).toBeGreaterThan(0.5);
  });

  it("lists every affected account of the widest event through the SDK's paginator", async () => {
    const event = widest();
    const accounts: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeAffectedAccountsForOrganization(
      { client },
      { eventArn: event.arn, maxResults: 100 },
    )) {
      pages += 1;
      accounts.push(...(page.affectedAccounts ?? []));
    }
    expect(pages).toBe(15);
    expect(accounts).toEqual(event.accounts);
    expect(new Set(accounts)).toEqual(new Set(organizationAccounts(9, 1500)));
  });

  it("serves 0 to entitiesPerAccount entities per account, paged, the same as the dataset derives", async () => {
    const event = widest();
    const accounts = event.accounts.slice(700, 710);
    const filters = accounts.map((awsAccountId) => ({ eventArn: event.arn, awsAccountId }));
    const got: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeAffectedEntitiesForOrganization(
      { client },
      { organizationEntityAccountFilters: filters, maxResults: 30 },
    )) {
      pages += 1;
      expect(page.failedSet ?? []).toEqual([]);
      got.push(...(page.entities ?? []).map((x) => x.entityArn as string));
    }
    const expected = event.entities.filter((x) => accounts.includes(x.awsAccountId));
    expect(got.sort()).toEqual(expected.map((x) => x.entityArn).sort());
    expect(pages).toBeGreaterThan(1);
    const perAccount = accounts.map((a) => entitiesOfAccount(event, a).length);
    expect(Math.max(...perAccount)).toBeGreaterThan(4);
    expect(perAccount.every((n) => n >= 0 && n <= 12)).toBe(true);
  });

  it("answers details for an affected account and refuses one the event does not reach", async () => {
    const event = specific().find((e) => e.accounts.length < 1500) as SimEvent;
    const outside = organizationAccounts(9, 1500).find((a) => !event.accounts.includes(a)) as string;
    const inside = event.accounts.at(-1) as string;
    const out = await client.send(
      new DescribeEventDetailsForOrganizationCommand({
        organizationEventDetailFilters: [
          { eventArn: event.arn, awsAccountId: inside },
          { eventArn: event.arn, awsAccountId: outside },
        ],
      }),
    );
    expect(out.successfulSet?.map((x) => x.awsAccountId)).toEqual([inside]);
    expect(out.failedSet?.map((x) => [x.awsAccountId, x.errorName])).toEqual([
      [outside, "InvalidAccountInputError"],
    ]);
  });

  it("lists its events, newest first, through the SDK's paginator", async () => {
    const listed: string[] = [];
    for await (const page of paginateDescribeEventsForOrganization({ client }, { maxResults: 100 }))
      listed.push(...(page.events ?? []).map((e) => e.arn as string));
    expect(listed).toEqual(sim.dataset.map((e) => e.arn));
  });
});

describe("entities account by account", () => {
  it("are those the whole event derives, for a narrow and a wide organization", () => {
    for (const options of [
      { accounts: 25 },
      { accounts: 300, accountsPerEvent: 300, entitiesPerAccount: 7 },
    ]) {
      for (const event of generateDataset({ events: 80, seed: 3, anchor: ANCHOR, ...options })) {
        const owners = event.eventScopeCode === "PUBLIC" ? ["111122223333"] : event.accounts;
        const pieced = owners.flatMap((a) => entitiesOfAccount(event, a));
        expect(pieced).toEqual(event.entities);
        expect(entitiesOfAccount(event, "999999999999")).toEqual([]);
      }
    }
  });
});

describe("the simulator's flags for a wide organization", () => {
  it("set accounts per event and entities per account, and refuse nonsense", () => {
    expect(
      parseCli(["--accounts", "1500", "--accounts-per-event", "1500", "--entities-per-account", "5"]),
    ).toEqual({ accounts: 1500, accountsPerEvent: 1500, entitiesPerAccount: 5 });
    expect(() => parseCli(["--accounts-per-event", "0"])).toThrow(
      /--accounts-per-event must be a whole number/,
    );
    expect(() => parseCli(["--entities-per-account", "lots"])).toThrow(/--entities-per-account must be/);
  });
});
