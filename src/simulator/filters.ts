import { CALLER_ACCOUNT_ID } from "./organization.ts";
import type { SimEntity, SimEvent } from "./types.ts";

export type Scope = "organization" | "account";

export interface TimeRange {
  from?: Date | undefined;
  to?: Date | undefined;
}

/**
 * The members of OrganizationEventFilter (single ranges) and EventFilter (lists of ranges), in the
 * SDK's own shapes, so an SDK filter object can be passed as is.
 */
export interface EventFilterInput {
  eventArns?: readonly string[] | undefined;
  eventTypeCodes?: readonly string[] | undefined;
  services?: readonly string[] | undefined;
  regions?: readonly string[] | undefined;
  availabilityZones?: readonly string[] | undefined;
  awsAccountIds?: readonly string[] | undefined;
  eventTypeCategories?: readonly string[] | undefined;
  eventStatusCodes?: readonly string[] | undefined;
  entityArns?: readonly string[] | undefined;
  entityValues?: readonly string[] | undefined;
  actionabilities?: readonly string[] | undefined;
  personas?: readonly string[] | undefined;
  /** Accepted and ignored, as AWS documents ("the tags property isn't supported"). */
  tags?: readonly Record<string, string>[] | undefined;
  startTime?: TimeRange | undefined;
  endTime?: TimeRange | undefined;
  lastUpdatedTime?: TimeRange | undefined;
  startTimes?: readonly TimeRange[] | undefined;
  endTimes?: readonly TimeRange[] | undefined;
  lastUpdatedTimes?: readonly TimeRange[] | undefined;
}

interface MsRange {
  from: number;
  to: number;
}

/** A filter prepared for fast matching; `newest`/`oldest` bound the lastUpdatedTime scan. */
export interface CompiledFilter {
  scope: Scope;
  sets: ReadonlyMap<keyof EventFilterInput, ReadonlySet<string>>;
  startTimes?: MsRange[];
  endTimes?: MsRange[];
  lastUpdatedTimes?: MsRange[];
  newest: number;
  oldest: number;
}

const SET_MEMBERS = [
  "eventArns",
  "eventTypeCodes",
  "services",
  "regions",
  "availabilityZones",
  "awsAccountIds",
  "eventTypeCategories",
  "eventStatusCodes",
  "entityArns",
  "entityValues",
  "actionabilities",
  "personas",
] as const satisfies readonly (keyof EventFilterInput)[];

export function compileFilter(scope: Scope, filter: EventFilterInput = {}): CompiledFilter {
  const sets = new Map<keyof EventFilterInput, ReadonlySet<string>>();
  for (const member of SET_MEMBERS) {
    const values = filter[member];
    if (values !== undefined) sets.set(member, new Set(values));
  }
  const compiled: CompiledFilter = {
    scope,
    sets,
    newest: Number.POSITIVE_INFINITY,
    oldest: Number.NEGATIVE_INFINITY,
  };
  const start = ranges(filter.startTime, filter.startTimes);
  const end = ranges(filter.endTime, filter.endTimes);
  const updated = ranges(filter.lastUpdatedTime, filter.lastUpdatedTimes);
  if (start) compiled.startTimes = start;
  if (end) compiled.endTimes = end;
  if (updated) {
    compiled.lastUpdatedTimes = updated;
    compiled.newest = Math.max(...updated.map((r) => r.to));
    compiled.oldest = Math.min(...updated.map((r) => r.from));
  }
  return compiled;
}

function ranges(
  single: TimeRange | undefined,
  list: readonly TimeRange[] | undefined,
): MsRange[] | undefined {
  const all = [...(single ? [single] : []), ...(list ?? [])];
  if (all.length === 0) return undefined;
  return all.map((r) => ({
    from: r.from ? r.from.getTime() : Number.NEGATIVE_INFINITY,
    to: r.to ? r.to.getTime() : Number.POSITIVE_INFINITY,
  }));
}

/** Whether the caller of the account-scope operations sees the event. */
export function visibleToCaller(event: SimEvent): boolean {
  return event.eventScopeCode === "PUBLIC" || event.accounts.includes(CALLER_ACCOUNT_ID);
}

/** The pure matching rule; for many events compile once with compileFilter and use matchesCompiled. */
export function matchesFilter(event: SimEvent, scope: Scope, filter: EventFilterInput = {}): boolean {
  return matchesCompiled(event, compileFilter(scope, filter));
}

/** Every event the filter selects, in the service's order (newest lastUpdatedTime first, then ARN). */
export function queryEvents(
  dataset: readonly SimEvent[],
  scope: Scope,
  filter: EventFilterInput = {},
): SimEvent[] {
  const compiled = compileFilter(scope, filter);
  return dataset.filter((e) => matchesCompiled(e, compiled));
}

export function matchesCompiled(event: SimEvent, f: CompiledFilter): boolean {
  if (f.scope === "account" && !visibleToCaller(event)) return false;
  const { sets } = f;
  if (!inSet(sets.get("eventArns"), event.arn)) return false;
  if (!inSet(sets.get("eventTypeCodes"), event.eventTypeCode)) return false;
  if (!inSet(sets.get("services"), event.service)) return false;
  if (!inSet(sets.get("regions"), event.region)) return false;
  if (!inSet(sets.get("eventTypeCategories"), event.eventTypeCategory)) return false;
  if (!inSet(sets.get("eventStatusCodes"), event.statusCode)) return false;
  if (!inSet(sets.get("availabilityZones"), event.availabilityZone)) return false;
  if (!inSet(sets.get("actionabilities"), actionabilityOf(event))) return false;
  if (!someInSet(sets.get("personas"), personasOf(event))) return false;
  if (!inRanges(f.lastUpdatedTimes, event.lastUpdatedTime)) return false;
  if (!inRanges(f.startTimes, event.startTime)) return false;
  if (!inRanges(f.endTimes, event.endTime)) return false;
  if (!matchesAccounts(sets.get("awsAccountIds"), event)) return false;
  return matchesEntities(f, event);
}

function inSet(set: ReadonlySet<string> | undefined, value: string | undefined): boolean {
  return set === undefined || (value !== undefined && set.has(value));
}

function someInSet(set: ReadonlySet<string> | undefined, values: readonly string[]): boolean {
  return set === undefined || values.some((v) => set.has(v));
}

/** Ranges of one list are alternatives; each range is inclusive at both ends. */
function inRanges(list: MsRange[] | undefined, value: Date | undefined): boolean {
  if (list === undefined) return true;
  if (value === undefined) return false;
  const t = value.getTime();
  return list.some((r) => t >= r.from && t <= r.to);
}

/**
 * AWS does not document how `awsAccountIds` treats public events; the simulator keeps them (a public
 * event concerns every account) and keeps an account-specific event when one of its accounts is listed.
 */
function matchesAccounts(set: ReadonlySet<string> | undefined, event: SimEvent): boolean {
  if (set === undefined || event.eventScopeCode === "PUBLIC") return true;
  return event.accounts.some((a) => set.has(a));
}

function matchesEntities(f: CompiledFilter, event: SimEvent): boolean {
  const arns = f.sets.get("entityArns");
  const values = f.sets.get("entityValues");
  if (arns === undefined && values === undefined) return true;
  const seen = (e: SimEntity) => f.scope === "organization" || e.awsAccountId === CALLER_ACCOUNT_ID;
  const entities = event.entities.filter(seen);
  return (
    (arns === undefined || entities.some((e) => arns.has(e.entityArn))) &&
    (values === undefined || entities.some((e) => values.has(e.entityValue)))
  );
}

/**
 * Actionability and personas are not part of SimEvent; the simulator derives them from the category
 * and service (a fixed rule) so the newer filter members select something sensible.
 */
export function actionabilityOf(
  event: SimEvent,
): "ACTION_REQUIRED" | "ACTION_MAY_BE_REQUIRED" | "INFORMATIONAL" {
  if (event.eventTypeCategory === "scheduledChange") return "ACTION_REQUIRED";
  if (event.eventTypeCategory === "accountNotification") return "ACTION_MAY_BE_REQUIRED";
  return "INFORMATIONAL";
}

export function personasOf(event: SimEvent): ("OPERATIONS" | "SECURITY" | "BILLING")[] {
  if (event.service === "BILLING") return ["BILLING"];
  if (event.service === "RISK" || event.eventTypeCode.includes("SECURITY")) return ["SECURITY"];
  return ["OPERATIONS"];
}
