import { CALLER_ACCOUNT_ID } from "../accounts.ts";
import { entitiesOfAccount } from "../dataset.ts";
import { visibleToCaller } from "../filters.ts";
import { type EntityFilterInput, parseEntitiesInput, parseOrgEntitiesInput } from "../inputs.ts";
import { type Cursor, compareKeys, pageSorted } from "../paging.ts";
import type { SimEntity, SimEvent } from "../types.ts";
import { entityJson } from "../wire.ts";
import { DEFAULT_PAGE_SIZE, type Json, type OperationContext, openCursor, withNextToken } from "./context.ts";
import { accountFilterFailure } from "./failures.ts";

interface Item {
  entity: SimEntity;
  eventArn: string;
  key: Cursor;
}

/** Results are sorted by the entity's lastUpdatedTime, newest first (as AWS documents). */
function collect(
  target: Map<string, Item>,
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

function answer(
  ctx: OperationContext,
  items: Map<string, Item>,
  cursor: Cursor | undefined,
  max: number | undefined,
): Json {
  const sorted = [...items.values()].sort((a, b) => compareKeys(a.key, b.key));
  const page = pageSorted(sorted, (i) => i.key, cursor, max ?? DEFAULT_PAGE_SIZE);
  return withNextToken(ctx, { entities: page.items.map((i) => entityJson(i.entity, i.eventArn)) }, page.next);
}

/**
 * DescribeAffectedEntitiesForOrganization. A public event's entities belong to the caller's account;
 * an account that has none gets an empty list. Failures are reported with the first page only.
 */
export function describeAffectedEntitiesForOrganization(ctx: OperationContext): Json {
  const req = parseOrgEntitiesInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const items = new Map<string, Item>();
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
  const out = answer(ctx, items, cursor, req.maxResults);
  if (cursor === undefined && failedSet.length > 0) out.failedSet = failedSet;
  return out;
}

/** DescribeAffectedEntities: the caller's entities of the listed events it can see. */
export function describeAffectedEntities(ctx: OperationContext): Json {
  const req = parseEntitiesInput(ctx.input);
  const cursor = openCursor(ctx, req.nextToken);
  const items = new Map<string, Item>();
  for (const arn of req.filter.eventArns) {
    const event = ctx.state.byArn.get(arn);
    if (event !== undefined && visibleToCaller(event))
      collect(items, event, entitiesOfAccount(event, CALLER_ACCOUNT_ID), (e) => entityMatches(e, req.filter));
  }
  return answer(ctx, items, cursor, req.maxResults);
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
