/**
 * The organization behind the simulator: its accounts, which events affect which account, and the
 * entities each account owns in an event (derived from the event's ARN when read, never stored).
 */

import { eventType } from "./catalog.ts";
import { hashString, mixSeed, mulberry32, pick, type Rng, randInt, randomId, weighted } from "./prng.ts";
import type { EntityKind, SimEntity, SimEvent } from "./types.ts";

/**
 * The account the simulator's caller is: the organization's management account, first in the
 * organization. Fixed (the example account id of the AWS documentation) so that the account-scope
 * view of any dataset is known without its seed.
 */
export const CALLER_ACCOUNT_ID = "111122223333";

/** The last organization derived: every event churn inserts asks for the same one again. */
let derived: { readonly seed: number; readonly count: number; readonly ids: readonly string[] } | undefined;

/**
 * The organization's 12-digit account ids: the caller first, then `count - 1` ids from the seed. The
 * last one derived is kept, so the events a churning simulator inserts one by one do not derive it
 * again each time (100,000 accounts take about 20 ms).
 */
export function organizationAccounts(seed: number, count: number): readonly string[] {
  if (derived?.seed === seed && derived.count === count) return derived.ids;
  const ids = deriveAccounts(seed, count);
  derived = { seed, count, ids };
  return ids;
}

function deriveAccounts(seed: number, count: number): string[] {
  const rng = mulberry32(mixSeed(seed, 0xacc0));
  const ids = new Set<string>([CALLER_ACCOUNT_ID]);
  while (ids.size < count) {
    ids.add(String(randInt(rng, 100_000_000_000, 999_999_999_999)));
  }
  return [...ids];
}

/** Whether an account-specific event affects the account (binary search: a wide event has thousands). */
export function affects(event: SimEvent, accountId: string): boolean {
  const list = event.accounts;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as string) < accountId) lo = mid + 1;
    else hi = mid;
  }
  return list[lo] === accountId;
}

/**
 * The entities one account owns in an event. Derives only that account's (a wide event has thousands
 * of accounts, and an entities request names ten); an assigned `entities` list is filtered instead.
 */
export function entitiesOfAccount(event: SimEvent, accountId: string): SimEntity[] {
  const own = Object.getOwnPropertyDescriptor(event, "entities");
  if (own !== undefined && "value" in own)
    return (own.value as SimEntity[]).filter((e) => e.awsAccountId === accountId);
  const owners = entityAccounts(event);
  const owns = event.eventScopeCode === "PUBLIC" ? owners.includes(accountId) : affects(event, accountId);
  return owns ? accountEntities(event, entityKind(event), accountId) : [];
}

/** The accounts that own entities of an event: the affected accounts, or the caller for a public event. */
function entityAccounts(event: SimEvent): readonly string[] {
  return event.eventScopeCode === "PUBLIC" ? [CALLER_ACCOUNT_ID] : event.accounts;
}

/** All entities of an event: 0-4 per owning account, derived from the event's ARN (deterministic). */
export function buildEntities(event: SimEvent): SimEntity[] {
  const eventSeed = hashString(event.arn);
  const kind = entityKind(event);
  return entityAccounts(event).flatMap((account) => accountEntities(event, kind, account, eventSeed));
}

/** What the entities of an event's type look like. */
function entityKind(event: SimEvent): EntityKind {
  return eventType(event.eventTypeCode)?.entity ?? "account";
}

const HOUR = 3_600_000;
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const NAMES = ["orders", "billing", "search", "payments", "analytics", "auth", "catalog", "reports"];
const TAG_POOL: readonly Readonly<Record<string, string>>[] = [
  { Environment: "prod", Team: "platform" },
  { Environment: "staging", Team: "data" },
  { Environment: "prod", Team: "payments", CostCenter: "cc-1042" },
  { Environment: "dev" },
].map((t) => Object.freeze(t));
const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The entities one account owns in an event, the same as `buildEntities` gives for that account: each
 * account's entities come from their own seed, so a wide event's entities can be served account by
 * account without deriving them all for every request.
 */
function accountEntities(
  event: SimEvent,
  kind: EntityKind,
  account: string,
  eventSeed = hashString(event.arn),
): SimEntity[] {
  const rng = mulberry32(mixSeed(eventSeed, hashString(account)));
  const count =
    event.entitiesPerAccount === undefined
      ? weighted(rng, [
          [0, 2],
          [1, 4],
          [2, 3],
          [3, 2],
          [4, 1],
        ] as const)
      : randInt(rng, 0, event.entitiesPerAccount);
  const out: SimEntity[] = [];
  for (let i = 0; i < count; i++) out.push(makeEntity(rng, event, kind, account));
  return out;
}

function makeEntity(rng: Rng, event: SimEvent, kind: EntityKind, account: string): SimEntity {
  const region = event.region === "global" ? "us-east-1" : event.region;
  const value = entityValue(rng, kind, region, account);
  const updated = event.lastUpdatedTime.getTime() - randInt(rng, 0, 48 * HOUR);
  const entity: SimEntity = {
    entityArn: `arn:aws:health:${region}:${account}:entity/${randomId(rng, 20, ALNUM)}`,
    entityValue: value,
    awsAccountId: account,
    lastUpdatedTime: new Date(Math.max(updated, event.startTime.getTime())),
    statusCode: entityStatus(rng, event.statusCode),
    tags: rng() < 0.5 ? NO_TAGS : pick(rng, TAG_POOL),
  };
  if (kind === "instance" && rng() < 0.5) {
    entity.entityUrl = `https://console.aws.amazon.com/ec2/home?region=${region}#InstanceDetails:instanceId=${value}`;
  }
  return entity;
}

function entityStatus(rng: Rng, status: SimEvent["statusCode"]): SimEntity["statusCode"] {
  if (status === "closed")
    return weighted(rng, [
      ["RESOLVED", 5],
      ["UNIMPAIRED", 4],
      ["UNKNOWN", 1],
    ] as const);
  if (status === "upcoming")
    return weighted(rng, [
      ["PENDING", 6],
      ["UNKNOWN", 2],
      ["UNIMPAIRED", 2],
    ] as const);
  return weighted(rng, [
    ["IMPAIRED", 5],
    ["PENDING", 2],
    ["UNKNOWN", 2],
    ["UNIMPAIRED", 1],
  ] as const);
}

function entityValue(rng: Rng, kind: EntityKind, region: string, account: string): string {
  const name = `${pick(rng, NAMES)}-${randomId(rng, 4, HEX)}`;
  switch (kind) {
    case "instance":
      return `i-0${randomId(rng, 16, HEX)}`;
    case "volume":
      return `vol-0${randomId(rng, 16, HEX)}`;
    case "vpn":
      return `vpn-0${randomId(rng, 16, HEX)}`;
    case "db":
      return `${name}-db`;
    case "function":
      return `arn:aws:lambda:${region}:${account}:function:${name}`;
    case "bucket":
      return `${name}-${account}`;
    case "cluster":
      return `arn:aws:eks:${region}:${account}:cluster/${name}`;
    case "table":
      return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
    case "loadbalancer":
      return `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${randomId(rng, 16, HEX)}`;
    case "certificate":
      return `arn:aws:acm:${region}:${account}:certificate/${randomId(rng, 8, HEX)}-${randomId(rng, 4, HEX)}`;
    case "distribution":
      return `E${randomId(rng, 13)}`;
    case "account":
      return account;
  }
}
