/**
 * Every request's input, read and checked in this one file as the AWS Health service model
 * (com.amazonaws.health, 2016-08-04) constrains it. A member of the wrong JSON type is a serialization
 * error, thrown at once; constraint violations are gathered and reported together the way AWS does:
 * "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: ...".
 */

import type { EventFilterInput, Scope, TimeRange } from "./filters.ts";
import { fromEpochSeconds, isRecord, ServiceError, serializationError } from "./protocol.ts";
import type { SimEntity, SimEvent } from "./types.ts";

type Json = Record<string, unknown>;

/** Typed, validated operation inputs. Members are always present (maybe undefined), for simple code. */
export interface ListParams {
  maxResults: number | undefined;
  nextToken: string | undefined;
  locale: string | undefined;
}

export interface EntityFilterInput {
  eventArns: string[];
  entityArns?: string[];
  entityValues?: string[];
  lastUpdatedTimes?: TimeRange[];
  statusCodes?: string[];
  tags?: Record<string, string>[];
}

export interface AccountFilter {
  eventArn: string;
  awsAccountId: string | undefined;
  statusCodes: string[] | undefined;
}

/** Patterns of the service model. */
const PATTERNS = {
  eventArn: /^arn:aws(-[a-z]+(-[a-z]+)?)?:health:[^:]*:[^:]*:event(?:\/[\w-]+){3}$/,
  eventType: /^[^:/]{3,100}$/,
  service: /^[^:/]{2,30}$/,
  region: /^[^:/]{2,25}$/,
  availabilityZone: /^[a-z]{2}-[0-9a-z-]{4,16}$/,
  accountId: /^\S+$/,
  nextToken: /^[a-zA-Z0-9=/+_.-]{4,10000}$/,
} as const;

const EVENT_CATEGORIES: readonly SimEvent["eventTypeCategory"][] = [
  "issue",
  "accountNotification",
  "scheduledChange",
  "investigation",
];
const EVENT_STATUSES: readonly SimEvent["statusCode"][] = ["open", "closed", "upcoming"];
const ENTITY_STATUSES: readonly SimEntity["statusCode"][] = [
  "IMPAIRED",
  "UNIMPAIRED",
  "UNKNOWN",
  "PENDING",
  "RESOLVED",
];
const ACTIONABILITIES = ["ACTION_REQUIRED", "ACTION_MAY_BE_REQUIRED", "INFORMATIONAL"];
const PERSONAS = ["OPERATIONS", "SECURITY", "BILLING"];

/** A list of strings: how many, and what each may be. */
interface StringsSpec {
  kind: "strings";
  min: number;
  max: number;
  enum?: readonly string[];
  pattern?: RegExp;
  /** Longest allowed item. */
  itemMax?: number;
}

type MemberSpec = StringsSpec | { kind: "range" } | { kind: "ranges" } | { kind: "tags" };

function strings(
  min: number,
  max: number,
  more: Omit<Partial<StringsSpec>, "kind" | "min" | "max"> = {},
): StringsSpec {
  return { kind: "strings", min, max, ...more };
}

const ENTITY_STATUS_CODES = strings(1, 5, { enum: ENTITY_STATUSES });

const COMMON: Record<string, MemberSpec> = {
  eventTypeCodes: strings(1, 10, { pattern: PATTERNS.eventType }),
  services: strings(1, 10, { pattern: PATTERNS.service }),
  regions: strings(1, 10, { pattern: PATTERNS.region }),
  entityArns: strings(1, 99, { itemMax: 1600 }),
  entityValues: strings(1, 99, { itemMax: 1224 }),
  eventTypeCategories: strings(1, 10, { enum: EVENT_CATEGORIES }),
  eventStatusCodes: strings(1, 6, { enum: EVENT_STATUSES }),
  actionabilities: strings(1, 3, { enum: ACTIONABILITIES }),
  personas: strings(1, 3, { enum: PERSONAS }),
};

/** OrganizationEventFilter: single ranges, account ids. */
const ORGANIZATION_FILTER: Record<string, MemberSpec> = {
  ...COMMON,
  awsAccountIds: strings(1, 50, { pattern: PATTERNS.accountId, itemMax: 12 }),
  startTime: { kind: "range" },
  endTime: { kind: "range" },
  lastUpdatedTime: { kind: "range" },
};

/** EventFilter: lists of ranges, event ARNs, Availability Zones. */
const ACCOUNT_FILTER: Record<string, MemberSpec> = {
  ...COMMON,
  eventArns: strings(1, 10, { pattern: PATTERNS.eventArn, itemMax: 1600 }),
  availabilityZones: strings(0, Number.POSITIVE_INFINITY, { pattern: PATTERNS.availabilityZone }),
  startTimes: { kind: "ranges" },
  endTimes: { kind: "ranges" },
  lastUpdatedTimes: { kind: "ranges" },
  tags: { kind: "tags" },
};

/** EntityFilter of DescribeAffectedEntities. */
const ENTITY_FILTER: Record<string, MemberSpec> = {
  eventArns: strings(1, 10, { pattern: PATTERNS.eventArn, itemMax: 1600 }),
  entityArns: strings(1, 99, { itemMax: 1600 }),
  entityValues: strings(1, 99, { itemMax: 1224 }),
  lastUpdatedTimes: { kind: "ranges" },
  tags: { kind: "tags" },
  statusCodes: ENTITY_STATUS_CODES,
};

/** Page-size ranges per operation (DescribeAffectedAccountsForOrganization keeps 10-100). */
const PAGE = { events: [1, 100], accounts: [10, 100], entities: [1, 100] } as const;

export function parseEventsInput(input: Json, scope: Scope): ListParams & { filter: EventFilterInput } {
  const v = new Violations();
  const spec = scope === "organization" ? ORGANIZATION_FILTER : ACCOUNT_FILTER;
  const filter = (readFilter(input, "filter", spec, v) ?? {}) as EventFilterInput;
  return finish(v, { ...readListParams(input, PAGE.events, v), filter });
}

export function parseAffectedAccountsInput(input: Json): ListParams & { eventArn: string } {
  const v = new Violations();
  const eventArn = read(input, "eventArn", "eventArn", "a string", isString);
  v.required(eventArn, "eventArn");
  if (eventArn !== undefined) v.stringPattern(eventArn, "eventArn", PATTERNS.eventArn);
  return finish(v, {
    ...readListParams(input, PAGE.accounts, v),
    locale: undefined,
    eventArn: eventArn ?? "",
  });
}

export function parseDetailsInput(input: Json): { eventArns: string[]; locale: string | undefined } {
  const v = new Violations();
  const spec = strings(1, 10, { pattern: PATTERNS.eventArn });
  const eventArns = readStrings(input, "eventArns", "eventArns", spec, v);
  v.required(eventArns, "eventArns");
  return finish(v, { eventArns: eventArns ?? [], locale: readLocale(input, v) });
}

export function parseOrgDetailsInput(input: Json): { filters: AccountFilter[]; locale: string | undefined } {
  const v = new Violations();
  const filters = readAccountFilters(input, "organizationEventDetailFilters", v);
  v.required(filters, "organizationEventDetailFilters");
  return finish(v, { filters: filters ?? [], locale: readLocale(input, v) });
}

/**
 * DescribeAffectedEntitiesForOrganization takes `organizationEntityAccountFilters` or the older
 * `organizationEntityFilters` (no status codes); one of them is needed.
 */
export function parseOrgEntitiesInput(input: Json): ListParams & { filters: AccountFilter[] } {
  const v = new Violations();
  const key =
    input.organizationEntityAccountFilters !== undefined
      ? "organizationEntityAccountFilters"
      : "organizationEntityFilters";
  const filters = readAccountFilters(input, key, v);
  v.required(filters, "organizationEntityAccountFilters");
  return finish(v, { ...readListParams(input, PAGE.entities, v), filters: filters ?? [] });
}

export function parseEntitiesInput(input: Json): ListParams & { filter: EntityFilterInput } {
  const v = new Violations();
  const filter = readFilter(input, "filter", ENTITY_FILTER, v);
  v.required(filter, "filter");
  if (filter !== undefined) v.required(filter.eventArns, "filter.eventArns");
  return finish(v, {
    ...readListParams(input, PAGE.entities, v),
    filter: (filter ?? { eventArns: [] }) as unknown as EntityFilterInput,
  });
}

/** Reports the violations; then only English is served: `en`, `en-US`, `en_GB` and the like. */
function finish<T extends { locale: string | undefined }>(v: Violations, result: T): T {
  v.throwIfAny();
  const { locale } = result;
  if (locale === undefined || /^en([-_][A-Za-z]{2,3})?$/.test(locale)) return result;
  throw new ServiceError(
    "UnsupportedLocale",
    `The locale '${locale}' is not supported. Supported locales: en, en-US.`,
  );
}

function readListParams(input: Json, page: readonly [number, number], v: Violations): ListParams {
  const maxResults = read(input, "maxResults", "maxResults", "an integer", isInteger);
  if (maxResults !== undefined) v.value(maxResults, "maxResults", page[0], page[1]);
  const nextToken = read(input, "nextToken", "nextToken", "a string", isString);
  if (nextToken !== undefined) v.stringPattern(nextToken, "nextToken", PATTERNS.nextToken);
  return { maxResults, nextToken, locale: readLocale(input, v) };
}

function readLocale(input: Json, v: Violations): string | undefined {
  const locale = read(input, "locale", "locale", "a string", isString);
  if (locale !== undefined) v.length(locale, "locale", 2, 256);
  return locale;
}

function readAccountFilters(input: Json, key: string, v: Violations): AccountFilter[] | undefined {
  const list = readList(input, key, key, "objects", isRecord);
  if (list === undefined) return undefined;
  v.length(list, key, 1, 10);
  return list.map((item, i) => {
    const path = `${key}.${i + 1}.member`;
    const eventArn = read(item, "eventArn", `${path}.eventArn`, "a string", isString);
    v.required(eventArn, `${path}.eventArn`);
    if (eventArn !== undefined) v.stringPattern(eventArn, `${path}.eventArn`, PATTERNS.eventArn);
    const awsAccountId = read(item, "awsAccountId", `${path}.awsAccountId`, "a string", isString);
    if (awsAccountId !== undefined) v.stringPattern(awsAccountId, `${path}.awsAccountId`, /^\S{1,12}$/);
    const statusCodes = readStrings(item, "statusCodes", `${path}.statusCodes`, ENTITY_STATUS_CODES, v);
    return { eventArn: eventArn ?? "", awsAccountId, statusCodes };
  });
}

/** Reads and checks a filter structure; unknown members are ignored. */
function readFilter(
  input: Json,
  key: string,
  specs: Record<string, MemberSpec>,
  v: Violations,
): Json | undefined {
  const obj = read(input, key, key, "an object", isRecord);
  if (obj === undefined) return undefined;
  const out: Json = {};
  for (const [member, spec] of Object.entries(specs)) {
    const value = readMember(obj, member, `${key}.${member}`, spec, v);
    if (value !== undefined) out[member] = value;
  }
  return out;
}

function readMember(obj: Json, member: string, path: string, spec: MemberSpec, v: Violations): unknown {
  switch (spec.kind) {
    case "range": {
      const s = read(obj, member, path, "an object", isRecord);
      return s === undefined ? undefined : toRange(s, path);
    }
    case "ranges": {
      const list = readList(obj, member, path, "objects", isRecord);
      const ranges = list?.map((s, i) => toRange(s, `${path}.${i + 1}.member`));
      if (ranges) v.length(ranges, path, 1, 10);
      return ranges;
    }
    case "tags": {
      const list = readList(obj, member, path, "objects", isRecord);
      if (list) v.length(list, path, 0, 50);
      return list;
    }
    case "strings":
      return readStrings(obj, member, path, spec, v);
  }
}

function readStrings(
  obj: Json,
  member: string,
  path: string,
  spec: StringsSpec,
  v: Violations,
): string[] | undefined {
  const list = readList(obj, member, path, "strings", isString);
  if (list === undefined) return undefined;
  const { enum: allowed, pattern, itemMax: max } = spec;
  v.length(list, path, spec.min, spec.max);
  if (allowed)
    v.items(list, path, (s) => allowed.includes(s), `satisfy enum value set: [${allowed.join(", ")}]`);
  if (pattern)
    v.items(list, path, (s) => pattern.test(s), `satisfy regular expression pattern: ${pattern.source}`);
  if (max !== undefined)
    v.items(list, path, (s) => s.length <= max, `have length less than or equal to ${max}`);
  return list;
}

function toRange(s: Json, path: string): TimeRange {
  const range: TimeRange = {};
  if (s.from !== undefined && s.from !== null) range.from = fromEpochSeconds(s.from, `${path}.from`);
  if (s.to !== undefined && s.to !== null) range.to = fromEpochSeconds(s.to, `${path}.to`);
  return range;
}

type Guard<T> = (value: unknown) => value is T;
const isString: Guard<string> = (value): value is string => typeof value === "string";
const isInteger: Guard<number> = (value): value is number => Number.isInteger(value);
const isList: Guard<unknown[]> = (value): value is unknown[] => Array.isArray(value);

/** A member that is absent or null reads as undefined; one of another JSON type is a serialization error. */
function read<T>(obj: Json, key: string, path: string, what: string, is: Guard<T>): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!is(v)) throw serializationError(`Expected ${what} at '${path}'`);
  return v;
}

/** A list member whose items must all be of one JSON type. */
function readList<T>(obj: Json, key: string, path: string, what: string, is: Guard<T>): T[] | undefined {
  const list = read(obj, key, path, "a list", isList);
  if (list?.some((item) => !is(item))) throw serializationError(`Expected ${what} in '${path}'`);
  return list as T[] | undefined;
}

/** Constraint violations, reported together by throwIfAny(). */
class Violations {
  readonly #messages: string[] = [];

  add(value: unknown, path: string, constraint: string): void {
    this.#messages.push(`Value ${render(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  throwIfAny(): void {
    const n = this.#messages.length;
    if (n === 0) return;
    const head = `${n} validation error${n === 1 ? "" : "s"} detected: `;
    throw new ServiceError("ValidationException", head + this.#messages.join("; "));
  }

  required(value: unknown, path: string): void {
    if (value === undefined || value === null) this.add(value, path, "Member must not be null");
  }

  length(value: { length: number }, path: string, min: number, max: number): void {
    if (value.length < min) this.add(value, path, `Member must have length greater than or equal to ${min}`);
    if (value.length > max) this.add(value, path, `Member must have length less than or equal to ${max}`);
  }

  value(value: number, path: string, min: number, max: number): void {
    if (value < min) this.add(value, path, `Member must have value greater than or equal to ${min}`);
    if (value > max) this.add(value, path, `Member must have value less than or equal to ${max}`);
  }

  stringPattern(value: string, path: string, pattern: RegExp): void {
    if (!pattern.test(value))
      this.add(value, path, `Member must satisfy regular expression pattern: ${pattern.source}`);
  }

  /** A rule every item of a list must keep ("satisfy enum value set: [a, b]"). */
  items(values: readonly string[], path: string, ok: (s: string) => boolean, rule: string): void {
    if (!values.every(ok)) this.add(values, path, `Member must satisfy constraint: [Member must ${rule}]`);
  }
}

function render(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value))
    return `'[${value.map((v) => (isRecord(v) ? JSON.stringify(v) : String(v))).join(", ")}]'`;
  return `'${isRecord(value) ? JSON.stringify(value) : String(value)}'`;
}
