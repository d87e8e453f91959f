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
import { enrichAccount, enrichOrganization } from "./details.ts";
import { explainAwsError } from "./errors.ts";
import { toListedEvent } from "./records.ts";

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
export class HealthSource implements EventSource {
  readonly #client: HealthClient;

  constructor(client: HealthClient) {
    this.#client = client;
  }

  async preflight(request: ResolvedRequest, signal: AbortSignal): Promise<void> {
    if (request.scope !== "organization") return;
    const operation = "DescribeHealthServiceStatusForOrganization";
    let status: string | undefined;
    try {
      const out = await this.#client.send(new DescribeHealthServiceStatusForOrganizationCommand({}), {
        abortSignal: signal,
      });
      status = out.healthServiceAccessStatusForOrganization;
    } catch (error) {
      throw explainAwsError(error, operation);
    }
    if (status !== "ENABLED") {
      throw new Error(
        `Organizational view of AWS Health is ${status ?? "not reported"} in ${request.region}, so organization scope cannot list events. ` +
          (status === "PENDING"
            ? "It is being enabled; try again in a few minutes."
            : "Enable it from the management account (aws health enable-health-service-access-for-organization), or use scope account."),
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
    try {
      const out = organization
        ? await this.#client.send(
            new DescribeEventsForOrganizationCommand({ ...input, filter: filter as OrganizationEventFilter }),
            { abortSignal: signal },
          )
        : await this.#client.send(new DescribeEventsCommand({ ...input, filter: filter as EventFilter }), {
            abortSignal: signal,
          });
      return { events: out.events ?? [], nextToken: out.nextToken || undefined };
    } catch (error) {
      throw explainAwsError(error, organization ? "DescribeEventsForOrganization" : "DescribeEvents");
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
    const ctx = {
      client: this.#client,
      signal,
      entities: request.details === "entities",
      locale: request.locale,
      budget,
    };
    return request.scope === "organization" ? enrichOrganization(ctx, events) : enrichAccount(ctx, events);
  }
}
