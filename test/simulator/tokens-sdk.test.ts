import {
  DescribeAffectedAccountsForOrganizationCommand,
  DescribeEventsCommand,
  DescribeEventsForOrganizationCommand,
  type DescribeEventsForOrganizationCommandInput,
  InvalidPaginationToken,
} from "@aws-sdk/client-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor, DAY, defined, rejection } from "./helpers.ts";

let clock = ANCHOR + 3_600_000;
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ events: 120, seed: 31, accounts: 200, anchor: ANCHOR, now: () => clock });
});
afterAll(() => sim.close());

const filter = {
  services: ["EC2", "RDS", "S3", "LAMBDA"],
  lastUpdatedTime: { from: new Date(ANCHOR - 80 * DAY) },
};

async function firstToken(): Promise<string> {
  const client = clientFor(sim);
  const page = await client.send(new DescribeEventsForOrganizationCommand({ filter, maxResults: 5 }));
  client.destroy();
  expect(page.nextToken).toBeDefined();
  return page.nextToken as string;
}

describe("InvalidPaginationToken", () => {
  it("accepts the token with the same request", async () => {
    const token = await firstToken();
    const client = clientFor(sim);
    const page = await client.send(
      new DescribeEventsForOrganizationCommand({ filter, maxResults: 5, nextToken: token }),
    );
    expect(page.events).toHaveLength(5);
    client.destroy();
  });

  const cases: [string, (token: string) => Promise<unknown>][] = [
    [
      "a changed filter",
      (nextToken) => send({ filter: { ...filter, services: ["EC2"] }, maxResults: 5, nextToken }),
    ],
    ["a changed maxResults", (nextToken) => send({ filter, maxResults: 6, nextToken })],
    ["a locale added", (nextToken) => send({ filter, maxResults: 5, locale: "en", nextToken })],
    ["another region", (nextToken) => send({ filter, maxResults: 5, nextToken }, "us-east-2")],
    ["a tampered token", (nextToken) => send({ filter, maxResults: 5, nextToken: `x${nextToken.slice(1)}` })],
  ];
  for (const [name, attempt] of cases) {
    it(`is the answer to ${name}`, async () => {
      const error = await rejection(attempt(await firstToken()));
      expect(error.name).toBe("InvalidPaginationToken");
      expect(error).toBeInstanceOf(InvalidPaginationToken);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });
  }

  it("is the answer to a token older than 24 hours (injected clock)", async () => {
    const token = await firstToken();
    clock += DAY - 1;
    await expect(send({ filter, maxResults: 5, nextToken: token })).resolves.toBeDefined();
    clock += 2;
    const error = await rejection(send({ filter, maxResults: 5, nextToken: token }));
    expect(error.name).toBe("InvalidPaginationToken");
    expect(error.message).toMatch(/expired/);
  });

  it("is not retried by the SDK", async () => {
    const token = await firstToken();
    // The simulator's Date is its own clock: injected here, hours off this machine's and standing
    // still, so the SDK would correct its clock on each failure and retry once. That is the SDK's clock
    // skew correction, not a retry of the error: switched off, the error is sent once.
    const client = clientFor(sim, { disableClockSkewCorrection: true });
    sim.resetStats();
    await rejection(
      client.send(new DescribeEventsForOrganizationCommand({ filter, maxResults: 6, nextToken: token })),
    );
    expect(sim.stats.requests).toBe(1);
    client.destroy();
  });

  it("guards the other paged operations too", async () => {
    const client = clientFor(sim);
    const wide = defined(sim.dataset.find((e) => e.accounts.length === 150));
    const page = await client.send(
      new DescribeAffectedAccountsForOrganizationCommand({ eventArn: wide.arn, maxResults: 10 }),
    );
    const other = defined(sim.dataset.find((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC" && e !== wide));
    const moved = client.send(
      new DescribeAffectedAccountsForOrganizationCommand({
        eventArn: other.arn,
        maxResults: 10,
        nextToken: page.nextToken,
      }),
    );
    expect((await rejection(moved)).name).toBe("InvalidPaginationToken");
    const org = await client.send(new DescribeEventsForOrganizationCommand({ maxResults: 5 }));
    const crossed = client.send(new DescribeEventsCommand({ maxResults: 5, nextToken: org.nextToken }));
    expect((await rejection(crossed)).name).toBe("InvalidPaginationToken");
    client.destroy();
  });
});

async function send(input: DescribeEventsForOrganizationCommandInput, region = "us-east-1") {
  const client = clientFor(sim, { region });
  try {
    return await client.send(new DescribeEventsForOrganizationCommand(input));
  } finally {
    client.destroy();
  }
}
