import {
  DescribeEventDetailsForOrganizationCommand,
  DescribeEventsCommand,
  DescribeEventsForOrganizationCommand,
  DescribeHealthServiceStatusForOrganizationCommand,
  type HealthClient,
  paginateDescribeEventsForOrganization,
} from "@aws-sdk/client-health";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, clientFor, defined, rejection } from "./helpers.ts";

let sim: Simulator | undefined;
let client: HealthClient | undefined;

async function start(o: SimulatorOptions): Promise<{ sim: Simulator; client: HealthClient }> {
  sim = await startSimulator({ anchor: ANCHOR, ...o });
  client = clientFor(sim, { maxAttempts: 10 });
  return { sim, client };
}

afterEach(async () => {
  client?.destroy();
  await sim?.close();
  sim = undefined;
  client = undefined;
});

async function scanArns(c: HealthClient, pageSize: number): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateDescribeEventsForOrganization(
    { client: c, pageSize },
    { maxResults: pageSize },
  )) {
    arns.push(...(page.events ?? []).map((e) => e.arn as string));
  }
  return arns;
}

describe("retried faults", () => {
  it("throttling: the SDK retries ThrottlingException and the scan completes", async () => {
    const { sim, client } = await start({ events: 100, rateLimit: 10, burst: 1 });
    expect(await scanArns(client, 20)).toEqual(sim.dataset.map((e) => e.arn));
    expect(sim.stats.throttled).toBeGreaterThan(0);
    expect(sim.stats.throttledByFamily.events).toBe(sim.stats.throttled);
    expect(sim.stats.succeededByFamily.events).toBe(5);
  });

  it("throttles per API family, with the documented message", async () => {
    const { sim } = await start({ events: 30, rateLimit: 1, burst: 1 });
    const raw = clientFor(sim, { maxAttempts: 1 });
    try {
      await raw.send(new DescribeEventsForOrganizationCommand({}));
      const error = await rejection(raw.send(new DescribeEventsForOrganizationCommand({})));
      expect(error).toMatchObject({ name: "ThrottlingException", message: "Rate exceeded" });
      expect(error.$metadata?.httpStatusCode).toBe(400);
      const arn = defined(sim.dataset[0]).arn;
      const details = await raw.send(
        new DescribeEventDetailsForOrganizationCommand({
          organizationEventDetailFilters: [{ eventArn: arn }],
        }),
      );
      expect(details.successfulSet).toHaveLength(1);
      expect(sim.stats.throttledByFamily).toEqual({ events: 1 });
    } finally {
      raw.destroy();
    }
  });

  it("errors: 500 and 503 answers are retried and the scan completes", async () => {
    const { sim, client } = await start({ events: 300, errorRate: 0.3 });
    expect(await scanArns(client, 10)).toEqual(sim.dataset.map((e) => e.arn));
    expect(sim.stats.errors).toBeGreaterThan(0);
    expect(sim.stats.succeededByFamily.events).toBe(30);
    expect(sim.stats.requests).toBe(30 + sim.stats.errors);
  });

  it("drops: connections closed without an answer are retried and the scan completes", async () => {
    const { sim, client } = await start({ events: 300, dropRate: 0.3 });
    expect(await scanArns(client, 10)).toEqual(sim.dataset.map((e) => e.arn));
    expect(sim.stats.dropped).toBeGreaterThan(0);
    expect(sim.stats.requests).toBe(30 + sim.stats.dropped);
  });

  it("latency is added to every answer and counted as server time", async () => {
    const { sim, client } = await start({ events: 10, latencyMs: 60 });
    const started = performance.now();
    await client.send(new DescribeEventsForOrganizationCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(sim.stats.serverTimeMsByOperation.DescribeEventsForOrganization).toBeGreaterThanOrEqual(55);
  });
});

describe("account state faults", () => {
  it("organizational view not enabled: organization calls fail, the status call tells why", async () => {
    const { sim, client } = await start({ events: 20, organizationalView: "DISABLED" });
    const error = await rejection(client.send(new DescribeEventsForOrganizationCommand({})));
    expect(error.name).toBe("AccessDeniedException");
    expect(error.message).toMatch(/Organizational view is DISABLED/);
    const status = await client.send(new DescribeHealthServiceStatusForOrganizationCommand({}));
    expect(status.healthServiceAccessStatusForOrganization).toBe("DISABLED");
    expect((await client.send(new DescribeEventsCommand({}))).events?.length).toBeGreaterThan(0);
    sim.faults.organizationalView = "PENDING";
    expect(
      (await client.send(new DescribeHealthServiceStatusForOrganizationCommand({})))
        .healthServiceAccessStatusForOrganization,
    ).toBe("PENDING");
    sim.faults.organizationalView = "ENABLED";
    expect((await client.send(new DescribeEventsForOrganizationCommand({}))).events).toHaveLength(10);
  });

  it("no support plan: SubscriptionRequiredException on every call", async () => {
    const { sim, client } = await start({ events: 20, subscription: false });
    for (const command of [
      new DescribeEventsCommand({}),
      new DescribeHealthServiceStatusForOrganizationCommand({}),
    ]) {
      const error = await rejection(client.send(command as DescribeEventsCommand));
      expect(error.name).toBe("SubscriptionRequiredException");
      expect(error.$metadata?.httpStatusCode).toBe(400);
    }
    expect(sim.stats.requests).toBe(2);
  });

  it("access denied, switched on while running", async () => {
    const { sim, client } = await start({ events: 20 });
    await client.send(new DescribeEventsCommand({}));
    sim.faults.accessDenied = true;
    expect((await rejection(client.send(new DescribeEventsCommand({})))).name).toBe("AccessDeniedException");
  });

  it("rejects impossible options, in the command line's words", async () => {
    await expect(startSimulator({ errorRate: 2 })).rejects.toThrow(/errorRate/);
    await expect(startSimulator({ rateLimit: -1 })).rejects.toThrow(/rateLimit/);
    await expect(startSimulator({ events: -1 })).rejects.toThrow(/events/);
    await expect(startSimulator({ accounts: 0 })).rejects.toThrow(/accounts/);
    await expect(startSimulator({ insertsPerMinute: Number.NaN })).rejects.toThrow(/insertsPerMinute/);
    await expect(startSimulator({ burst: 1.5 })).rejects.toThrow(
      "burst must be a whole number from 0 to 1000000, got 1.5",
    );
  });
});
