import {
  DescribeAffectedAccountsForOrganizationCommand,
  DescribeAffectedEntitiesForOrganizationCommand,
  DescribeEventDetailsForOrganizationCommand,
  DescribeEventsCommand,
  DescribeEventsForOrganizationCommand,
  type HealthClient,
  UnsupportedLocale,
} from "@aws-sdk/client-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor, defined, rejection } from "./helpers.ts";

let sim: Simulator;
let client: HealthClient;
beforeAll(async () => {
  sim = await startSimulator({ events: 40, anchor: ANCHOR });
  client = clientFor(sim);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

const arn = (i: number) =>
  `arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_X_${i}`;
const eleven = <T>(f: (i: number) => T) => Array.from({ length: 11 }, (_, i) => f(i));

async function validationMessage(p: Promise<unknown>): Promise<string> {
  const error = await rejection(p);
  expect(error.name).toBe("ValidationException");
  expect(error.$metadata?.httpStatusCode).toBe(400);
  return error.message;
}

describe("input limits, enforced as the service does", () => {
  it("page size 0 and 101", async () => {
    expect(
      await validationMessage(client.send(new DescribeEventsForOrganizationCommand({ maxResults: 0 }))),
    ).toBe(
      "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(await validationMessage(client.send(new DescribeEventsCommand({ maxResults: 101 })))).toBe(
      "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    const ok = await client.send(new DescribeEventsForOrganizationCommand({ maxResults: 1 }));
    expect(ok.events).toHaveLength(1);
  });

  it("11 services, 51 accounts, 11 time ranges", async () => {
    const services = eleven((i) => `SERVICE${i}`);
    expect(
      await validationMessage(
        client.send(new DescribeEventsForOrganizationCommand({ filter: { services } })),
      ),
    ).toMatch(
      /^1 validation error detected: Value '\[SERVICE0, .*SERVICE10\]' at 'filter.services' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
    const awsAccountIds = Array.from({ length: 51 }, (_, i) => String(100000000000 + i));
    expect(
      await validationMessage(
        client.send(new DescribeEventsForOrganizationCommand({ filter: { awsAccountIds } })),
      ),
    ).toMatch(/'filter.awsAccountIds' .* less than or equal to 50$/);
    const lastUpdatedTimes = eleven(() => ({ from: new Date(ANCHOR - 1000) }));
    expect(
      await validationMessage(client.send(new DescribeEventsCommand({ filter: { lastUpdatedTimes } }))),
    ).toMatch(/'filter.lastUpdatedTimes' .* less than or equal to 10$/);
  });

  it("11 detail filters and 11 entity filters", async () => {
    const organizationEventDetailFilters = eleven((i) => ({ eventArn: arn(i) }));
    expect(
      await validationMessage(
        client.send(new DescribeEventDetailsForOrganizationCommand({ organizationEventDetailFilters })),
      ),
    ).toMatch(
      /at 'organizationEventDetailFilters' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
    const organizationEntityAccountFilters = eleven((i) => ({ eventArn: arn(i) }));
    const entities = client.send(
      new DescribeAffectedEntitiesForOrganizationCommand({ organizationEntityAccountFilters }),
    );
    expect(await validationMessage(entities)).toMatch(/'organizationEntityAccountFilters'/);
  });

  it("unknown enum values, malformed ARNs, several errors at once", async () => {
    const categories = client.send(
      new DescribeEventsForOrganizationCommand({ filter: { eventTypeCategories: ["outage" as "issue"] } }),
    );
    expect(await validationMessage(categories)).toMatch(
      /Value '\[outage\]' at 'filter.eventTypeCategories' .*enum value set: \[issue, accountNotification, scheduledChange, investigation\]/,
    );
    const badArn = client.send(
      new DescribeAffectedAccountsForOrganizationCommand({ eventArn: "not-an-arn" }),
    );
    expect(await validationMessage(badArn)).toMatch(
      /at 'eventArn' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    const two = client.send(
      new DescribeEventsForOrganizationCommand({ maxResults: 0, filter: { regions: [] } }),
    );
    expect(await validationMessage(two)).toMatch(
      /^2 validation errors detected: .*'filter.regions'.*; .*'maxResults'/,
    );
  });

  it("affected accounts take 10-100 per page", async () => {
    const event = defined(sim.dataset.find((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC"));
    const nine = client.send(
      new DescribeAffectedAccountsForOrganizationCommand({ eventArn: event.arn, maxResults: 9 }),
    );
    expect(await validationMessage(nine)).toMatch(/greater than or equal to 10$/);
  });

  it("English locales only", async () => {
    for (const locale of ["en", "en-US", "en_GB"]) {
      expect((await client.send(new DescribeEventsCommand({ locale, maxResults: 2 }))).events).toHaveLength(
        2,
      );
    }
    const error = await rejection(client.send(new DescribeEventsCommand({ locale: "fr-FR" })));
    expect(error).toBeInstanceOf(UnsupportedLocale);
    expect(error.name).toBe("UnsupportedLocale");
    expect(await validationMessage(client.send(new DescribeEventsCommand({ locale: "e" })))).toMatch(
      /'locale'/,
    );
  });

  it("is not retried", async () => {
    sim.resetStats();
    await rejection(client.send(new DescribeEventsForOrganizationCommand({ maxResults: 0 })));
    expect(sim.stats).toMatchObject({ requests: 1, errors: 1 });
  });
});
