import { CATEGORY_WEIGHT, EVENT_TYPES, type EventTypeSpec, eventType, REGIONS } from "./catalog.ts";
import { buildEntities, organizationAccounts } from "./organization.ts";
import { mixSeed, mulberry32, pick, type Rng, randInt, randomId, weighted } from "./prng.ts";
import type { SimEntity, SimEvent } from "./types.ts";

export type { SimEntity, SimEvent };

export interface DatasetOptions {
  events: number;
  seed: number;
  /** Accounts in the organization (the first is the caller of account-scope operations). */
  accounts: number;
  /** Epoch ms; every lastUpdatedTime <= anchor. */
  anchor: number;
  /**
   * A wide organization: the first account-specific event affects this many accounts and every other
   * one between 1 and this many, evenly spread. Unset: mostly 1-5 accounts, a few up to 150.
   */
  accountsPerEvent?: number | undefined;
  /** A wide organization: 0 to this many entities per (event, account), evenly spread. Unset: 0-4, mostly 1-2. */
  entitiesPerAccount?: number | undefined;
}

/** What shapes the generated events besides their number and times. */
export type Shape = Pick<DatasetOptions, "seed" | "accounts" | "accountsPerEvent" | "entitiesPerAccount">;

const DAY = 86_400_000;
const SPREAD = 90 * DAY;
/** Share of events updated in the same millisecond as the previously generated one (bulk updates). */
const TIE_RATE = 0.05;
/** The widest account-specific events, so affected-account paging is exercised. */
const WIDE_ACCOUNTS = 150;

/** Start of the current UTC day: two processes started the same day build the same dataset. */
export function defaultAnchor(nowMs: number): number {
  return nowMs - (((nowMs % DAY) + DAY) % DAY);
}

/**
 * A deterministic dataset, newest lastUpdatedTime first, ties broken by ARN. The options are checked
 * where they come in, by startSimulator (OPTION_RANGES in server.ts).
 */
export function generateDataset(o: DatasetOptions): SimEvent[] {
  const gen = createGenerator(o, 0, false);
  // Times first, sorted as numbers (much cheaper than sorting the events); ties are bulk updates.
  const times = new Float64Array(o.events);
  for (let i = 0; i < o.events; i++) {
    times[i] =
      i > 0 && gen.rng() < TIE_RATE ? (times[i - 1] as number) : o.anchor - Math.floor(gen.rng() * SPREAD);
  }
  times.sort();
  const events: SimEvent[] = [];
  for (let i = o.events - 1; i >= 0; i--) events.push(gen.next(times[i] as number));
  return sortTies(events);
}

/** Orders runs of equal lastUpdatedTime by ARN (the rest is already newest first). */
function sortTies(events: SimEvent[]): SimEvent[] {
  let start = 0;
  for (let i = 1; i <= events.length; i++) {
    const same =
      i < events.length &&
      (events[i] as SimEvent).lastUpdatedTime.getTime() ===
        (events[start] as SimEvent).lastUpdatedTime.getTime();
    if (same) continue;
    if (i - start > 1) {
      const run = events.slice(start, i).sort(compareEvents);
      for (let j = 0; j < run.length; j++) events[start + j] = run[j] as SimEvent;
    }
    start = i;
  }
  return events;
}

/**
 * `count` events newer than `after` (epoch ms), newest first, for a dataset generated with the same
 * seed and accounts; `firstIndex` keeps their ARNs unique (pass how many events exist already).
 */
export function generateNewerEvents(o: Shape, firstIndex: number, after: number, count: number): SimEvent[] {
  const gen = createGenerator(o, firstIndex, true);
  const events: SimEvent[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    if (i === 0 || gen.rng() >= TIE_RATE) t += randInt(gen.rng, 1, 5000);
    events.push(gen.next(t));
  }
  return events.sort(compareEvents);
}

/**
 * One event updated at `lastUpdated` (epoch ms), for a dataset generated with the same seed and
 * accounts; `index` keeps its ARN unique (pass how many events were generated before it).
 */
export function generateEventAt(o: Shape, index: number, lastUpdated: number): SimEvent {
  return createGenerator(o, index, true).next(lastUpdated);
}

/** The dataset order: newest lastUpdatedTime first, then ARN ascending. */
export function compareEvents(a: SimEvent, b: SimEvent): number {
  const dt = b.lastUpdatedTime.getTime() - a.lastUpdatedTime.getTime();
  if (dt !== 0) return dt;
  return a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0;
}

/** The description an account sees: account-specific events name the account. */
export function descriptionForAccount(event: SimEvent, accountId: string | undefined): string {
  if (event.eventScopeCode === "PUBLIC" || accountId === undefined) return event.description;
  return `${event.description}\n\nThis notification is for AWS account ${accountId}.`;
}

/** A description in the style AWS Health writes them, from the event's own fields. */
function describeEvent(e: SimEvent, summary: string): string {
  const where = e.region === "global" ? "all Regions" : `the ${e.region} Region`;
  const start = e.startTime.toISOString();
  switch (e.eventTypeCategory) {
    case "scheduledChange":
      return (
        `AWS has scheduled ${summary} in ${where}, starting ${start}. ` +
        "You can see the affected resources in the Affected resources tab of the AWS Health Dashboard."
      );
    case "accountNotification":
      return (
        `This is a notification about ${summary} in ${where}. ` +
        "Please review the affected resources and take action before the dates given in this notification."
      );
    default:
      if (e.statusCode === "closed" && e.endTime) {
        return (
          `Between ${start} and ${e.endTime.toISOString()} we experienced ${summary} in ${where}. ` +
          "The issue has been resolved and the service is operating normally."
        );
      }
      return `We are investigating ${summary} in ${where}. We will provide an update as more information becomes available.`;
  }
}

interface Generator {
  rng: Rng;
  next(lastUpdated: number): SimEvent;
}

function createGenerator(shape: Shape, firstIndex: number, sawWide: boolean): Generator {
  const rng = mulberry32(mixSeed(shape.seed, firstIndex, 0xe7e7));
  const org = organizationAccounts(shape.seed, shape.accounts);
  const widest = shape.accountsPerEvent ?? WIDE_ACCOUNTS;
  const state = { index: firstIndex, sawWide };
  return {
    rng,
    next(lastUpdated) {
      const scope = rng() < 0.6 ? "PUBLIC" : "ACCOUNT_SPECIFIC";
      let affected: string[] = [];
      if (scope === "ACCOUNT_SPECIFIC") {
        // The first account-specific event is the widest, so paging through its accounts is exercised.
        let n = widest;
        if (state.sawWide) n = shape.accountsPerEvent ? randInt(rng, 1, widest) : affectedCount(rng);
        state.sawWide = true;
        affected = sample(rng, org, n);
      }
      const event = makeEvent(rng, state.index++, scope, lastUpdated, affected);
      if (shape.entitiesPerAccount !== undefined) event.entitiesPerAccount = shape.entitiesPerAccount;
      return event;
    },
  };
}

function affectedCount(rng: Rng): number {
  if (rng() < 0.003) return randInt(rng, 50, WIDE_ACCOUNTS);
  return weighted(rng, [
    [1, 40],
    [2, 25],
    [3, 15],
    [4, 10],
    [5, 10],
  ] as const);
}

/** `n` distinct accounts (capped by the organization's size), ascending. */
function sample(rng: Rng, org: readonly string[], n: number): string[] {
  const pool = [...org];
  const k = Math.min(n, pool.length);
  for (let i = 0; i < k; i++) {
    const j = randInt(rng, i, pool.length - 1);
    const a = pool[i] as string;
    pool[i] = pool[j] as string;
    pool[j] = a;
  }
  return pool.slice(0, k).sort();
}

const TYPES_BY_SCOPE = {
  PUBLIC: weightedTypes("PUBLIC"),
  ACCOUNT_SPECIFIC: weightedTypes("ACCOUNT_SPECIFIC"),
};

function weightedTypes(scope: SimEvent["eventScopeCode"]): (readonly [EventTypeSpec, number])[] {
  return EVENT_TYPES.filter((t) => t.scopes.includes(scope)).map(
    (t) => [t, CATEGORY_WEIGHT[t.category]] as const,
  );
}

function makeEvent(
  rng: Rng,
  index: number,
  scope: SimEvent["eventScopeCode"],
  lastUpdated: number,
  accounts: string[],
): SimEvent {
  const type = weighted(rng, TYPES_BY_SCOPE[scope]);
  const region = type.global ? "global" : weighted(rng, REGIONS);
  const times = eventTimes(rng, type.category, lastUpdated);
  const unique = index.toString(36).toUpperCase().padStart(6, "0");
  // join() builds one flat string; a template literal would keep a tree of pieces per ARN.
  const arn = ["arn:aws:health:", region, "::event/", type.service, "/", type.code, "/", type.code, "_"];
  const event = {
    arn: arn.concat(randomId(rng, 6), "_", unique).join(""),
    service: type.service,
    eventTypeCode: type.code,
    eventTypeCategory: type.category,
    region,
    startTime: new Date(times.start),
    lastUpdatedTime: new Date(lastUpdated),
    statusCode: times.status,
    eventScopeCode: scope,
    accounts,
    metadata: type.metadata ? pick(rng, type.metadata) : NO_METADATA,
  } as SimEvent;
  if (type.zonal && rng() < 0.5) event.availabilityZone = `${region}${pick(rng, ["a", "b", "c"])}`;
  if (times.end !== undefined) event.endTime = new Date(times.end);
  // Two defineProperty calls are several times faster than one defineProperties in V8.
  Object.defineProperty(event, "description", LAZY_DESCRIPTION);
  Object.defineProperty(event, "entities", LAZY_ENTITIES);
  return event;
}

const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

interface Times {
  start: number;
  end?: number;
  status: SimEvent["statusCode"];
}

function eventTimes(rng: Rng, category: SimEvent["eventTypeCategory"], t: number): Times {
  const hours = (a: number, b: number) => randInt(rng, a * 3_600_000, b * 3_600_000);
  if (category === "scheduledChange") {
    const roll = rng();
    if (roll < 0.4) {
      const start = t + hours(24, 30 * 24);
      return { start, end: start + hours(1, 7 * 24), status: "upcoming" };
    }
    const start = t - hours(0, 48);
    return roll < 0.6 ? { start, status: "open" } : { start, end: start + (t - start) / 2, status: "closed" };
  }
  const start = t - (category === "accountNotification" ? hours(0, 30 * 24) : hours(0, 72));
  const closedShare = category === "accountNotification" ? 0.4 : 0.8;
  if (rng() < closedShare) return { start, end: Math.round(start + (t - start) * rng()), status: "closed" };
  return { start, status: "open" };
}

/**
 * Description and entities are derived on every read (from the ARN and the event's own fields)
 * instead of stored, so a dataset of 100,000 events stays small and generates fast. The accessors are
 * own and enumerable (JSON.stringify and spreading see them) and shared by all events; assigning a
 * value replaces the accessor with that plain value.
 */
const LAZY_DESCRIPTION = derivedProperty("description", (e) => {
  const type = eventType(e.eventTypeCode);
  return describeEvent(e, type?.summary ?? `an event of type ${e.eventTypeCode}`);
});
const LAZY_ENTITIES = derivedProperty("entities", buildEntities);

function derivedProperty<K extends keyof SimEvent>(
  key: K,
  compute: (e: SimEvent) => SimEvent[K],
): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: SimEvent) {
      return compute(this);
    },
    set(this: SimEvent, value: SimEvent[K]) {
      Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
    },
  };
}
