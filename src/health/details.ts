import {
  DescribeAffectedAccountsForOrganizationCommand,
  DescribeAffectedEntitiesCommand,
  DescribeAffectedEntitiesForOrganizationCommand,
  DescribeEventDetailsCommand,
  DescribeEventDetailsForOrganizationCommand,
  type HealthClient,
} from "@aws-sdk/client-health";
import type { EventRecord } from "../engine/source.ts";
import { explainAwsError } from "./errors.ts";
import { chunk, type ListedEvent, plain } from "./records.ts";

/**
 * Details of one page of events. Every call of a page is started at once; the pacer of each API family
 * decides how many are on the wire. Results are assembled in a fixed order (events, then accounts as
 * the API listed them) so the output does not depend on which call answered first.
 */
export interface DetailsContext {
  readonly client: HealthClient;
  readonly signal: AbortSignal;
  readonly entities: boolean;
  readonly locale: string | undefined;
  /** Where requests go, for messages. */
  readonly endpoint: string;
}

interface DetailsOutput {
  successfulSet?:
    | {
        event?: { arn?: string | undefined } | undefined;
        awsAccountId?: string | undefined;
        eventDescription?: unknown;
        eventMetadata?: unknown;
      }[]
    | undefined;
  failedSet?:
    | {
        eventArn?: string | undefined;
        awsAccountId?: string | undefined;
        errorName?: string | undefined;
        errorMessage?: string | undefined;
      }[]
    | undefined;
}

interface Target {
  readonly eventArn: string;
  readonly awsAccountId?: string;
}

interface Failure {
  operation: string;
  awsAccountId?: string;
  errorName?: string;
  errorMessage?: string;
}

/** Per-event results, collected in call order. */
class Collected {
  readonly details = new Map<string, unknown[]>();
  readonly entities = new Map<string, unknown[]>();
  readonly failures = new Map<string, Failure[]>();

  add(map: Map<string, unknown[]>, arn: string | undefined, item: unknown): void {
    if (arn === undefined) return;
    const list = map.get(arn) ?? [];
    list.push(item);
    map.set(arn, list);
  }

  fail(operation: string, item: { eventArn?: string | undefined }) {
    const { eventArn, ...rest } = item;
    this.add(this.failures as Map<string, unknown[]>, eventArn, { operation, ...(plain(rest) as object) });
  }
}

async function call<T>(ctx: DetailsContext, operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw explainAwsError(error, operation, ctx.endpoint);
  }
}

/**
 * Every page of a paged details call, in order. A token the API repeats is an error, not a loop.
 */
async function allPages<T extends { nextToken?: string | undefined }>(
  ctx: DetailsContext,
  operation: string,
  page: (token: { nextToken?: string }) => Promise<T>,
): Promise<T[]> {
  const outs: T[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await call(ctx, operation, () => page(token ? { nextToken: token } : {}));
    outs.push(out);
    nextToken = out.nextToken || undefined;
    if (nextToken !== undefined && nextToken === token) {
      throw new Error(`${operation} returned the same pagination token twice; stopping rather than looping.`);
    }
  } while (nextToken);
  return outs;
}

async function affectedAccounts(ctx: DetailsContext, eventArn: string): Promise<string[]> {
  const outs = await allPages(ctx, "DescribeAffectedAccountsForOrganization", (token) =>
    ctx.client.send(
      new DescribeAffectedAccountsForOrganizationCommand({ eventArn, maxResults: 100, ...token }),
      {
        abortSignal: ctx.signal,
      },
    ),
  );
  return outs.flatMap((out) => out.affectedAccounts ?? []);
}

function detailOf(item: {
  awsAccountId?: string | undefined;
  eventDescription?: unknown;
  eventMetadata?: unknown;
}) {
  const description = (item.eventDescription as { latestDescription?: string } | undefined)
    ?.latestDescription;
  return plain({
    awsAccountId: item.awsAccountId,
    latestDescription: description,
    eventMetadata: item.eventMetadata ?? {},
  });
}

function entityOf(entity: object): unknown {
  const { eventArn: _omit, ...rest } = plain(entity) as Record<string, unknown>;
  return rest;
}

async function orgDetails(ctx: DetailsContext, targets: Target[], into: Collected): Promise<void> {
  const operation = "DescribeEventDetailsForOrganization";
  const outs = await Promise.all(
    chunk(targets, 10).map((filters) => {
      const input = {
        organizationEventDetailFilters: filters,
        ...localeOf(ctx),
      };
      return call(ctx, operation, () =>
        ctx.client.send(new DescribeEventDetailsForOrganizationCommand(input), { abortSignal: ctx.signal }),
      );
    }),
  );
  collectDetails(operation, outs, into);
}

/** Adds details in call order, whichever call answered first. */
function collectDetails(operation: string, outs: readonly DetailsOutput[], into: Collected): void {
  for (const out of outs) {
    for (const item of out.successfulSet ?? []) into.add(into.details, item.event?.arn, detailOf(item));
    for (const item of out.failedSet ?? []) into.fail(operation, item);
  }
}

async function orgEntities(ctx: DetailsContext, targets: Target[], into: Collected): Promise<void> {
  const operation = "DescribeAffectedEntitiesForOrganization";
  const perChunk = await Promise.all(
    chunk(targets, 10).map((filters) =>
      allPages(ctx, operation, (token) => {
        const input = {
          organizationEntityAccountFilters: filters,
          maxResults: 100,
          ...token,
          ...localeOf(ctx),
        };
        return ctx.client.send(new DescribeAffectedEntitiesForOrganizationCommand(input), {
          abortSignal: ctx.signal,
        });
      }),
    ),
  );
  for (const out of perChunk.flat()) {
    for (const e of out.entities ?? []) into.add(into.entities, e.eventArn, entityOf(e));
    for (const f of out.failedSet ?? []) into.fail(operation, f);
  }
}

function assemble(
  events: readonly ListedEvent[],
  into: Collected,
  extra: (e: ListedEvent) => object,
  entities: boolean,
) {
  return events.map((event): EventRecord => {
    const failures = into.failures.get(event.arn);
    return {
      ...event,
      ...extra(event),
      details: into.details.get(event.arn) ?? [],
      ...(entities ? { entities: into.entities.get(event.arn) ?? [] } : {}),
      ...(failures ? { failures } : {}),
    };
  });
}

/** Organization scope: affected accounts, then details and entities per (event, account). */
export async function enrichOrganization(
  ctx: DetailsContext,
  events: readonly ListedEvent[],
): Promise<EventRecord[]> {
  const specific = events.filter((e) => e.eventScopeCode === "ACCOUNT_SPECIFIC");
  const accounts = new Map(
    await Promise.all(specific.map(async (e) => [e.arn, await affectedAccounts(ctx, e.arn)] as const)),
  );
  // PUBLIC events are asked without an account, ACCOUNT_SPECIFIC ones once per affected account.
  const targets = events.flatMap((e): Target[] => {
    const list = accounts.get(e.arn);
    return list ? list.map((awsAccountId) => ({ eventArn: e.arn, awsAccountId })) : [{ eventArn: e.arn }];
  });
  const into = new Collected();
  await Promise.all([
    orgDetails(ctx, targets, into),
    ctx.entities ? orgEntities(ctx, targets, into) : undefined,
  ]);
  return assemble(events, into, (e) => ({ affectedAccounts: accounts.get(e.arn) ?? [] }), ctx.entities);
}

/** Account scope: details and entities per event. */
export async function enrichAccount(
  ctx: DetailsContext,
  events: readonly ListedEvent[],
): Promise<EventRecord[]> {
  const into = new Collected();
  const groups = chunk(
    events.map((e) => e.arn),
    10,
  );
  const details = Promise.all(
    groups.map((eventArns) => {
      const input = { eventArns, ...localeOf(ctx) };
      return call(ctx, "DescribeEventDetails", () =>
        ctx.client.send(new DescribeEventDetailsCommand(input), { abortSignal: ctx.signal }),
      );
    }),
  );
  const entities = ctx.entities ? groups.map((eventArns) => accountEntities(ctx, eventArns)) : [];
  collectDetails("DescribeEventDetails", await details, into);
  for (const found of await Promise.all(entities)) {
    for (const e of found) into.add(into.entities, (e as { eventArn?: string }).eventArn, entityOf(e));
  }
  return assemble(events, into, () => ({}), ctx.entities);
}

async function accountEntities(ctx: DetailsContext, eventArns: string[]): Promise<object[]> {
  const outs = await allPages(ctx, "DescribeAffectedEntities", (token) => {
    const input = { filter: { eventArns }, maxResults: 100, ...token, ...localeOf(ctx) };
    return ctx.client.send(new DescribeAffectedEntitiesCommand(input), { abortSignal: ctx.signal });
  });
  return outs.flatMap((out) => out.entities ?? []);
}

function localeOf(ctx: DetailsContext): { locale?: string } {
  return ctx.locale ? { locale: ctx.locale } : {};
}
