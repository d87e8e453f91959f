/** The operations of AWS Health the simulator answers, as one table of handlers, and how each answers. */

import { compileFilter, type Scope, visibleToCaller } from "./filters.ts";
import {
  type EntityFilterInput,
  parseAffectedAccountsInput,
  parseDetailsInput,
  parseEntitiesInput,
  parseEventsInput,
  parseOrgDetailsInput,
  parseOrgEntitiesInput,
} from "./inputs.ts";
import { affects, CALLER_ACCOUNT_ID, entitiesOfAccount } from "./organization.ts";
import { type Cursor, compareKeys, pageEvents, pageSorted } from "./paging.ts";
import { detailsJson, entityJson, eventJson, organizationEventJson } from "./protocol.ts";
import type { TokenCodec, TokenScope } from "./tokens.ts";
import type { Family, SimEntity, SimEvent, SimState } from "./types.ts";

type Json = Record<string, unknown>;

/** Everything one call needs. */
export interface OperationContext {
  input: Json;
  state: SimState;
  tokens: TokenCodec;
  /** What this request's tokens are bound to. */
  tokenScope: TokenScope;
  /** The simulator's clock now (epoch ms). */
  now: number;
}

export interface Operation {
  family: Family;
  /** Needs organizational view enabled. */
  organization: boolean;
  handle(ctx: OperationContext): Json;
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  DescribeEventsForOrganization: {
    family: "events",
    organization: true,
    handle: describeEvents("organization"),
  },
  DescribeEvents: { family: "events", organization: false, handle: describeEvents("account") },
  DescribeAffectedAccountsForOrganization: {
    family: "accounts",
    organization: true,
    handle: describeAffectedAccounts,
  },
  DescribeEventDetailsForOrganization: {
    family: "details",
    organization: true,
    handle: describeEventDetailsForOrganization,
  },
  DescribeEventDetails: { family: "details", organization: false, handle: describeEventDetails },
  DescribeAffectedEntitiesForOrganization: {
    family: "entities",
    organization: true,
    handle: describeAffectedEntitiesForOrganization,
  },
  DescribeAffectedEntities: { family: "entities", organization: false, handle: describeAffectedEntities },
  DescribeHealthServiceStatusForOrganization: {
    family: "status",
    organization: false,
    handle: (ctx) => ({ healthServiceAccessStatusForOrganization: ctx.state.faults.organizationalView }),
  },
};

export function findOperation(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}

/** AWS documents no default page size for Health; the simulator uses 10 when maxResults is absent. */
const DEFAULT_PAGE_SIZE = 10;

function openCursor(ctx: OperationContext, nextToken: string | undefined): Cursor | undefined {
  return nextToken === undefined ? undefined : ctx.tokens.open(nextToken, ctx.tokenScope);
}

/** Adds `nextToken` to an answer when more results remain. */
function withNextToken(ctx: OperationContext, out: Json, next: Cursor | undefined): Json {
  if (next !== undefined) out.nextToken = ctx.tokens.issue(ctx.tokenScope, next);
  return out;
}

/** DescribeEventsForOrganization and DescribeEvents: one page of the filtered dataset. */
function describeEvents(scope: Scope): (ctx: OperationContext) => Json {
  const encode = scope === "organization" ? organizationEventJson : eventJson;
  return (ctx) => {
    const req = parseEventsInput(ctx.input, scope);
    const cursor = openCursor(ctx, req.nextToken);
    const page = pageEvents(
      replicated(ctx),
      compileFilter(scope, req.filter),
      cursor,
      req.maxResults ?? DEFAULT_PAGE_SIZE,
    );
    return withNextToken(ctx, { events: page.items.map(encode) }, page.next);
  };
}

/**
 * The events a region serves: all of them in the active region; in the passive one, those updated
 * before its lag (a newer version has not reached it yet, so the event is not listed there).
 */
function replicated(ctx: OperationContext): readonly SimEvent[] {
  const { activeRegion, passiveLagMs } = ctx.state.faults;
  if (ctx.tokenScope.region === activeRegion || passiveLagMs <= 0) return ctx.state.dataset;
  const cutoff = ctx.now - passiveLagMs;
  return ctx.state.dataset.filter((e) => e.lastUpdatedTime.getTime() <= cutoff);
}

/**
 * DescribeAffectedAccountsForOrganization: the affected accounts in ascending order. As AWS documents,
 * a public event has none and an unknown ARN answers eventScopeCode NONE.
 */
function describeAffectedAccounts(ctx: OperationContext): Json {
  const req = parseAffectedAccountsInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const event = ctx.state.byArn.get(req.eventArn);
  if (event === undefined) return { affectedAccounts: [], eventScopeCode: "NONE" };
  if (event.eventScopeCode === "PUBLIC") return { affectedAccounts: [], eventScopeCode: "PUBLIC" };
  const page = pageSorted(
    event.accounts,
    (a) => ({ t: 0, k: a }),
    cursor,
    req.maxResults ?? DEFAULT_PAGE_SIZE,
  );
  return withNextToken(
    ctx,
    { affectedAccounts: page.items, eventScopeCode: event.eventScopeCode },
    page.next,
  );
}

/** DescribeEventDetailsForOrganization: one result per filter, in request order. */
function describeEventDetailsForOrganization(ctx: OperationContext): Json {
  const req = parseOrgDetailsInput(ctx.input);
  const successfulSet: Json[] = [];
  const failedSet: Json[] = [];
  for (const f of req.filters) {
    const event = ctx.state.byArn.get(f.eventArn);
    const failure = accountFilterFailure(event, f.eventArn, f.awsAccountId, true);
    if (failure !== undefined) failedSet.push(failure);
    else if (event !== undefined) successfulSet.push(detailsJson(event, f.awsAccountId, true));
  }
  return { successfulSet, failedSet };
}

/** DescribeEventDetails: the caller's view; events it cannot see are unknown to it. */
function describeEventDetails(ctx: OperationContext): Json {
  const req = parseDetailsInput(ctx.input);
  const successfulSet: Json[] = [];
  const failedSet: Json[] = [];
  for (const arn of req.eventArns) {
    const event = ctx.state.byArn.get(arn);
    if (event === undefined || !visibleToCaller(event)) {
      failedSet.push({
        eventArn: arn,
        errorName: "UnknownEventArn",
        errorMessage: `We couldn't find an event with the ARN ${arn}.`,
      });
      continue;
    }
    const account = event.eventScopeCode === "PUBLIC" ? undefined : CALLER_ACCOUNT_ID;
    successfulSet.push(detailsJson(event, account, false));
  }
  return { successfulSet, failedSet };
}

/**
 * DescribeAffectedEntitiesForOrganization. A public event's entities belong to the caller's account;
 * an account that has none gets an empty list. Failures are reported with the first page only.
 */
function describeAffectedEntitiesForOrganization(ctx: OperationContext): Json {
  const req = parseOrgEntitiesInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const items = new Map<string, EntityItem>();
  const failedSet: Json[] = [];
  for (const f of req.filters) {
    const event = ctx.state.byArn.get(f.eventArn);
    const failure = accountFilterFailure(event, f.eventArn, f.awsAccountId, false);
    if (failure !== undefined) failedSet.push(failure);
    else if (event !== undefined) {
      const entities =
        f.awsAccountId === undefined ? event.entities : entitiesOfAccount(event, f.awsAccountId);
      collect(
        items,
        event,
        entities,
        (e) => f.statusCodes === undefined || f.statusCodes.includes(e.statusCode),
      );
    }
  }
  const out = entitiesPage(ctx, items, cursor, req.maxResults);
  if (cursor === undefined && failedSet.length > 0) out.failedSet = failedSet;
  return out;
}

/** DescribeAffectedEntities: the caller's entities of the listed events it can see. */
function describeAffectedEntities(ctx: OperationContext): Json {
  const req = parseEntitiesInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const items = new Map<string, EntityItem>();
  for (const arn of req.filter.eventArns) {
    const event = ctx.state.byArn.get(arn);
    if (event !== undefined && visibleToCaller(event))
      collect(items, event, entitiesOfAccount(event, CALLER_ACCOUNT_ID), (e) => entityMatches(e, req.filter));
  }
  return entitiesPage(ctx, items, cursor, req.maxResults);
}

interface EntityItem {
  entity: SimEntity;
  eventArn: string;
  key: Cursor;
}

/** Results are sorted by the entity's lastUpdatedTime, newest first (as AWS documents). */
function collect(
  target: Map<string, EntityItem>,
  event: SimEvent,
  entities: readonly SimEntity[],
  keep: (e: SimEntity) => boolean,
): void {
  for (const entity of entities) {
    if (!keep(entity)) continue;
    const k = `${entity.entityArn}|${event.arn}`;
    target.set(k, { entity, eventArn: event.arn, key: { t: entity.lastUpdatedTime.getTime(), k } });
  }
}

function entitiesPage(
  ctx: OperationContext,
  items: Map<string, EntityItem>,
  cursor: Cursor | undefined,
  max: number | undefined,
): Json {
  const sorted = [...items.values()].sort((a, b) => compareKeys(a.key, b.key));
  const page = pageSorted(sorted, (i) => i.key, cursor, max ?? DEFAULT_PAGE_SIZE);
  return withNextToken(ctx, { entities: page.items.map((i) => entityJson(i.entity, i.eventArn)) }, page.next);
}

function entityMatches(e: SimEntity, f: EntityFilterInput): boolean {
  if (e.awsAccountId !== CALLER_ACCOUNT_ID) return false;
  if (f.entityArns && !f.entityArns.includes(e.entityArn)) return false;
  if (f.entityValues && !f.entityValues.includes(e.entityValue)) return false;
  if (f.statusCodes && !f.statusCodes.includes(e.statusCode)) return false;
  const t = e.lastUpdatedTime.getTime();
  const inRange = (r: { from?: Date | undefined; to?: Date | undefined }) =>
    (r.from === undefined || t >= r.from.getTime()) && (r.to === undefined || t <= r.to.getTime());
  if (f.lastUpdatedTimes && !f.lastUpdatedTimes.some(inRange)) return false;
  const hasTags = (tags: Record<string, string>) => Object.entries(tags).every(([k, v]) => e.tags[k] === v);
  return f.tags === undefined || f.tags.length === 0 || f.tags.some(hasTags);
}

/**
 * Per-item failures of the details and entities operations. AWS documents no list of error names:
 * `InvalidAccountInputError` is the one the service model names (an account id missing for an
 * account-specific event); the simulator uses it for every account mismatch, with the messages the
 * model documents, and `UnknownEventArn` for an ARN it does not know.
 */
function accountFilterFailure(
  event: SimEvent | undefined,
  eventArn: string,
  awsAccountId: string | undefined,
  requireAffected: boolean,
): Json | undefined {
  const item = (errorName: string, errorMessage: string): Json => ({
    ...(awsAccountId === undefined ? {} : { awsAccountId }),
    eventArn,
    errorName,
    errorMessage,
  });
  if (event === undefined)
    return item("UnknownEventArn", `We couldn't find an event with the ARN ${eventArn}.`);
  if (event.eventScopeCode === "ACCOUNT_SPECIFIC" && awsAccountId === undefined) {
    return item(
      "InvalidAccountInputError",
      "We couldn't find a public event that matches your request. To find an event that is account specific, you must enter an AWS account ID in the request.",
    );
  }
  const publicWithAccount = event.eventScopeCode === "PUBLIC" && awsAccountId !== undefined;
  const notAffected =
    event.eventScopeCode === "ACCOUNT_SPECIFIC" &&
    awsAccountId !== undefined &&
    !affects(event, awsAccountId);
  if (requireAffected && (publicWithAccount || notAffected)) {
    return item(
      "InvalidAccountInputError",
      "We couldn't find an account specific event for the specified AWS account. To find an event that is public, you must enter a null value for the AWS account ID in the request.",
    );
  }
  return undefined;
}
