import { HealthClient } from "@aws-sdk/client-health";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { type AwsClock, CLOCK_STEP, clockMiddleware } from "./clock.ts";
import { addAttemptDeadline } from "./deadline.ts";
import { type Outcome, Pacer } from "./pacer.ts";

/** API families: calls of one family share a rate limit (https://docs.aws.amazon.com/health/latest/ug/health-api.html). */
export type Family = "events" | "accounts" | "details" | "entities" | "status";

const FAMILY_OF: Record<string, Family> = {
  DescribeEventsCommand: "events",
  DescribeEventsForOrganizationCommand: "events",
  DescribeAffectedAccountsForOrganizationCommand: "accounts",
  DescribeEventDetailsCommand: "details",
  DescribeEventDetailsForOrganizationCommand: "details",
  DescribeAffectedEntitiesCommand: "entities",
  DescribeAffectedEntitiesForOrganizationCommand: "entities",
  DescribeHealthServiceStatusForOrganizationCommand: "status",
};

/** Longest wait for one attempt's whole answer; Health answers in well under a second. */
export const REQUEST_TIMEOUT_MS = 12_000;

const ORDER = Symbol("healthBackfillOrder");

const THROTTLE_CODES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
]);

export function isThrottle(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return THROTTLE_CODES.has(e?.name ?? "") || e?.$metadata?.httpStatusCode === 429;
}

export interface ClientOptions {
  readonly region: string;
  /** A custom endpoint (the simulator); otherwise the SDK's own resolution, AWS_ENDPOINT_URL_HEALTH included. */
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly signal: AbortSignal;
  readonly clock?: () => number;
  /** Learns AWS's time from every answer's `Date`. */
  readonly awsClock?: AwsClock;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Delay before retry n (1-based): short, because the pacer, not the backoff, keeps a throttled family
 * under its limit; the SDK's own throttling backoff (base 1 s, doubling) would hold a page's details
 * back for seconds. Doubling from 50 ms to at most 2 s still spaces retries after 5xx and resets.
 */
export function retryDelay(attempt: number): number {
  return Math.round(Math.min(2000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
}

/**
 * The real SDK client, with every attempt (retries included) paced per API family. The SDK's
 * standard retry (10 attempts, with the delays above) stays the safety net for throttles, 5xx and
 * dropped connections.
 */
export function createPacedClient(options: ClientOptions): HealthClient {
  const client = new HealthClient({
    region: options.region,
    retryStrategy: new ConfiguredRetryStrategy(10, retryDelay),
    // A request that gets no answer must fail and be retried like any transient fault: without
    // throwOnRequestTimeout the SDK only logs a warning and waits forever. The attempt deadline below
    // bounds the body too. Ten attempts of 12 s end a run against a hung endpoint in about two minutes.
    requestHandler: {
      connectionTimeout: 10_000,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  addAttemptDeadline(client, REQUEST_TIMEOUT_MS);
  const clock = options.clock ?? Date.now;
  const pacers = new Map<Family, Pacer>();
  const pacerFor = (family: Family): Pacer => {
    let pacer = pacers.get(family);
    if (!pacer) {
      pacer = new Pacer({ clock, sleep, signal: options.signal, maxInFlight: family === "events" ? 4 : 32 });
      pacers.set(family, pacer);
    }
    return pacer;
  };
  let created = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const pacer = pacerFor(FAMILY_OF[context.commandName ?? ""] ?? "status");
      // The context lives as long as the command, across its retries: number it once.
      const ctx = context as { [ORDER]?: number };
      ctx[ORDER] ??= created++;
      const ticket = await pacer.acquire(ctx[ORDER]);
      let outcome: Outcome = "failed";
      try {
        const result = await next(args);
        outcome = "ok";
        return result;
      } catch (error) {
        if (isThrottle(error)) outcome = "throttled";
        throw error;
      } finally {
        pacer.done(ticket, outcome);
      }
    },
    // finalizeRequest, low priority: inside the SDK's retry loop, so every attempt is paced.
    { step: "finalizeRequest", priority: "low", name: "healthBackfillPacer" },
  );
  if (options.awsClock) client.middlewareStack.add(clockMiddleware(options.awsClock), CLOCK_STEP);
  return client;
}
