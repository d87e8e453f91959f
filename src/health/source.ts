import {
  DescribeEventsCommand,
  DescribeEventsForOrganizationCommand,
  DescribeHealthServiceStatusForOrganizationCommand,
  type EventFilter,
  type HealthClient,
  type OrganizationEventFilter,
} from "@aws-sdk/client-health";
import type { ResolvedRequest } from "../engine/request.ts";
import type { EventRecord, EventSource, Page, PageBudget } from "../engine/source.ts";
import { SetupError } from "../errors.ts";
import { enrichAccount, enrichOrganization } from "./details.ts";
import { explainAwsError } from "./errors.ts";
import { type ListedEvent, toListedEvent } from "./records.ts";

const TIME_MEMBERS = new Set([
  "lastUpdatedTime",
  "startTime",
  "endTime",
  "lastUpdatedTimes",
  "startTimes",
  "endTimes",
]);

function toDates(range: unknown): unknown {
  const r = range as { from?: string; to?: string };
  return {
    ...(r.from === undefined ? {} : { from: new Date(r.from) }),
    ...(r.to === undefined ? {} : { to: new Date(r.to) }),
  };
}

/** The stored filter (ISO strings) as the SDK wants it (Dates). */
export function sdkFilter(filter: ResolvedRequest["filter"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [member, value] of Object.entries(filter)) {
    if (!TIME_MEMBERS.has(member)) out[member] = value;
    else out[member] = Array.isArray(value) ? value.map(toDates) : toDates(value);
  }
  return out;
}

/** AWS Health through the real SDK client. */
/** The client of a region and where its requests go (for messages). */
export type RegionClients = (
  region: string,
) => Promise<{ readonly client: HealthClient; readonly endpoint: string }>;

export class HealthSource implements EventSource {
  /** Each request goes to the region it names: a failover moves the backfill to the other one. */
  readonly #clients: RegionClients;

  constructor(clients: RegionClients) {
    this.#clients = clients;
  }

  async preflight(request: ResolvedRequest, signal: AbortSignal): Promise<void> {
    if (request.scope !== "organization") return;
    const operation = "DescribeHealthServiceStatusForOrganization";
    const { client, endpoint } = await this.#clients(request.region);
    let status: string | undefined;
    try {
      const out = await client.send(new DescribeHealthServiceStatusForOrganizationCommand({}), {
        abortSignal: signal,
      });
      status = out.healthServiceAccessStatusForOrganization;
    } catch (error) {
      throw explainAwsError(error, operation, endpoint);
    }
    if (status === "PENDING") {
      throw new Error(
        `Organizational view of AWS Health is PENDING in ${request.region}: it is being enabled and organization scope can list events in a few minutes.`,
      );
    }
    if (status !== "ENABLED") {
      throw new SetupError(
        `Organizational view of AWS Health is ${status ?? "not reported"} in ${request.region}, so organization scope cannot list events. ` +
          "Enable it from the management account (aws health enable-health-service-access-for-organization), or use scope account.",
      );
    }
  }

  async listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page> {
    const input = {
      maxResults: request.pageSize,
      ...(token === undefined ? {} : { nextToken: token }),
      ...(request.locale === undefined ? {} : { locale: request.locale }),
    };
    const filter = sdkFilter(request.filter);
    const organization = request.scope === "organization";
    const { client, endpoint } = await this.#clients(request.region);
    try {
      const out = organization
        ? await client.send(
            new DescribeEventsForOrganizationCommand({ ...input, filter: filter as OrganizationEventFilter }),
            { abortSignal: signal },
          )
        : await client.send(new DescribeEventsCommand({ ...input, filter: filter as EventFilter }), {
            abortSignal: signal,
          });
      return { events: out.events ?? [], nextToken: out.nextToken || undefined };
    } catch (error) {
      const operation = organization ? "DescribeEventsForOrganization" : "DescribeEvents";
      throw explainAwsError(error, operation, endpoint);
    }
  }

  enrich(
    request: ResolvedRequest,
    raw: readonly object[],
    signal: AbortSignal,
    budget: PageBudget,
  ): Iterable<EventRecord> | AsyncIterable<EventRecord> {
    const events = raw.map(toListedEvent);
    if (request.details === "none" || events.length === 0) return events;
    return this.#enrich(request, events, signal, budget);
  }

  async *#enrich(
    request: ResolvedRequest,
    events: ListedEvent[],
    signal: AbortSignal,
    budget: PageBudget,
  ): AsyncIterable<EventRecord> {
    const { client, endpoint } = await this.#clients(request.region);
    const ctx = {
      client,
      signal,
      entities: request.details === "entities",
      locale: request.locale,
      budget,
      endpoint,
    };
    yield* request.scope === "organization" ? enrichOrganization(ctx, events) : enrichAccount(ctx, events);
  }
}
