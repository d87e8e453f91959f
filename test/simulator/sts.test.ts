import { DescribeEventsForOrganizationCommand, HealthClient } from "@aws-sdk/client-health";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it } from "vitest";
import { AwsClock, CLOCK_STEP, clockMiddleware } from "../../src/health/clock.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";

const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("the simulator as STS and as AWS's clock", () => {
  it("answers the real STS client's GetCallerIdentity with its account", async () => {
    sim = await startSimulator({ events: 5, account: "444455556666" });
    const sts = new STSClient({ region: "us-east-1", endpoint: sim.url, credentials });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("444455556666");
    expect(out.Arn).toBe("arn:aws:sts::444455556666:assumed-role/health-backfill/simulated");
    sts.destroy();
    await expect(() => startSimulator({ account: "12" })).rejects.toThrow(/account must be 12 digits/);
  });

  it("sends its own clock in Date, and the AWS clock learns the offset from any answer", async () => {
    const started = Date.now();
    const awsNow = started - 3_600_000; // AWS an hour behind this machine
    sim = await startSimulator({ events: 5, now: () => awsNow + (Date.now() - started) });
    const health = new HealthClient({ region: "us-east-1", endpoint: sim.url, credentials });
    const clock = new AwsClock();
    health.middlewareStack.add(clockMiddleware(clock), CLOCK_STEP);
    expect(clock.offsetMs).toBeUndefined();
    await health.send(new DescribeEventsForOrganizationCommand({}));
    expect(Math.abs((clock.offsetMs ?? 0) + 3_600_000)).toBeLessThan(1500);
    expect(Math.abs(clock.now() - (awsNow + (Date.now() - started)))).toBeLessThan(1500);
    // An error answer tells the time too.
    sim.faults.accessDenied = true;
    const before = clock.offsetMs;
    await expect(health.send(new DescribeEventsForOrganizationCommand({}))).rejects.toThrow(/not authorized/);
    expect(clock.offsetMs).not.toBe(before);
    health.destroy();
  });
});

describe("the simulator's two regions", () => {
  it("names the active one at /global-cname, binds tokens to their region, and lags in the passive one", async () => {
    let clock = 0;
    const s = await startSimulator({
      events: 200,
      seed: 4,
      anchor: Date.parse("2026-11-20T00:00:00Z"),
      now: () => clock,
      passiveLagMs: 3_600_000,
    });
    sim = s;
    clock = (s.dataset[0]?.lastUpdatedTime.getTime() ?? 0) + 30 * 60_000;
    const cname = async () => (await fetch(`${s.url}/global-cname`)).text();
    expect(await cname()).toBe("health.us-east-1.amazonaws.com");
    const list = async (region: string) => {
      const client = new HealthClient({
        region,
        endpoint: s.url,
        credentials,
        disableClockSkewCorrection: true,
      });
      const out = await client.send(new DescribeEventsForOrganizationCommand({ maxResults: 100 }));
      client.destroy();
      return out;
    };
    const recent = s.dataset.filter((e) => e.lastUpdatedTime.getTime() > clock - 3_600_000).length;
    expect(recent).toBeGreaterThan(0);
    const active = await list("us-east-1");
    const passive = await list("us-east-2");
    expect(active.events?.[0]?.arn).toBe(s.dataset[0]?.arn);
    expect(passive.events?.[0]?.arn).toBe(s.dataset[recent]?.arn);
    // A token of one region is refused by the other.
    const other = new HealthClient({
      region: "us-east-2",
      endpoint: sim.url,
      credentials,
      disableClockSkewCorrection: true,
    });
    await expect(
      other.send(new DescribeEventsForOrganizationCommand({ maxResults: 100, nextToken: active.nextToken })),
    ).rejects.toThrow(/issued by the us-east-1 endpoint, not us-east-2/);
    other.destroy();
    s.faults.activeRegion = "us-east-2";
    expect(await cname()).toBe("health.us-east-2.amazonaws.com");
    expect((await list("us-east-2")).events?.[0]?.arn).toBe(s.dataset[0]?.arn);
    await expect(startSimulator({ activeRegion: "eu-west-1" })).rejects.toThrow(/activeRegion must be/);
  });
});
