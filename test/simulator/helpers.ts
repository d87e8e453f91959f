import { HealthClient, type HealthClientConfig } from "@aws-sdk/client-health";
import type { SimEvent } from "../../src/simulator/dataset.ts";
import type { Simulator } from "../../src/simulator/server.ts";

export const CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };

/** The real SDK client pointed at a simulator. */
export function clientFor(sim: Simulator, config: Partial<HealthClientConfig> = {}): HealthClient {
  return new HealthClient({ region: "us-east-1", endpoint: sim.url, credentials: CREDENTIALS, ...config });
}

/** What the SDK hands back for an OrganizationEvent built from a dataset event. */
export function expectedOrganizationEvent(e: SimEvent): Record<string, unknown> {
  return {
    arn: e.arn,
    service: e.service,
    eventTypeCode: e.eventTypeCode,
    eventTypeCategory: e.eventTypeCategory,
    eventScopeCode: e.eventScopeCode,
    region: e.region,
    startTime: e.startTime,
    ...(e.endTime ? { endTime: e.endTime } : {}),
    lastUpdatedTime: e.lastUpdatedTime,
    statusCode: e.statusCode,
  };
}

/** What the SDK hands back for an Event (DescribeEvents, details). */
export function expectedEvent(e: SimEvent): Record<string, unknown> {
  return {
    ...expectedOrganizationEvent(e),
    ...(e.availabilityZone === undefined ? {} : { availabilityZone: e.availabilityZone }),
  };
}

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected the call to fail, it succeeded");
}

export const DAY = 86_400_000;
/** A fixed anchor so datasets in tests do not depend on today's date. */
export const ANCHOR = Date.UTC(2026, 10, 26);

/** The value, or a test failure naming what was missing (instead of a non-null assertion). */
export function defined<T>(value: T | null | undefined, what = "value"): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be defined`);
  return value;
}
