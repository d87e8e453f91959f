import { errorMessage, shorten, UsageError } from "../errors.ts";
import { duplicateKey, isObject } from "../util/json.ts";
import { INPUT, type Scope } from "./names.ts";
import { parseIsoTime } from "./parse.ts";

/**
 * The `filter` input: further members of OrganizationEventFilter / EventFilter, validated against the
 * service model's limits and patterns here because the SDK validates nothing client side (see
 * https://docs.aws.amazon.com/health/latest/APIReference/API_OrganizationEventFilter.html and
 * API_EventFilter.html). Timestamps stay ISO strings so the filter can be stored in the checkpoint.
 */
export type FilterValue = string | string[] | TimeRange | TimeRange[] | Record<string, string>[];
export interface TimeRange {
  from?: string;
  to?: string;
}

/**
 * The members of both filters, as the checkpoint stores them (times as ISO strings). The organization
 * filter takes single ranges and account ids; the account filter lists of ranges, event ARNs, zones
 * and tags. `lastUpdatedTime(s)` is set from `since` and `until`, never from the `filter` input.
 */
export interface EventFilter {
  eventTypeCodes?: string[];
  services?: string[];
  regions?: string[];
  entityArns?: string[];
  entityValues?: string[];
  eventTypeCategories?: string[];
  eventStatusCodes?: string[];
  actionabilities?: string[];
  personas?: string[];
  /** Organization filter only. */
  awsAccountIds?: string[];
  startTime?: TimeRange;
  endTime?: TimeRange;
  lastUpdatedTime?: TimeRange;
  /** Account filter only. */
  eventArns?: string[];
  availabilityZones?: string[];
  startTimes?: TimeRange[];
  endTimes?: TimeRange[];
  lastUpdatedTimes?: TimeRange[];
  tags?: Record<string, string>[];
}

interface ListRule {
  kind: "list";
  max: number;
  values?: readonly string[];
  pattern?: RegExp;
  /** What the pattern means, for the message. */
  shape?: string;
}
type Rule = ListRule | { kind: "range" } | { kind: "ranges"; max: number } | { kind: "tags"; max: number };

const CATEGORIES = ["issue", "accountNotification", "scheduledChange", "investigation"] as const;
const STATUSES = ["open", "closed", "upcoming"] as const;
const ACTIONABILITIES = ["ACTION_REQUIRED", "ACTION_MAY_BE_REQUIRED", "INFORMATIONAL"] as const;
const PERSONAS = ["OPERATIONS", "SECURITY", "BILLING"] as const;

function list(max: number, pattern?: RegExp, shape?: string): ListRule {
  return { kind: "list", max, ...(pattern && { pattern }), ...(shape && { shape }) };
}

const COMMON: Record<string, Rule> = {
  eventTypeCodes: list(10, /^[^:/]{3,100}$/, "3 to 100 characters without : or /"),
  services: list(10, /^[^:/]{2,30}$/, "2 to 30 characters without : or /"),
  regions: list(10, /^[^:/]{2,25}$/, "2 to 25 characters without : or /"),
  entityArns: list(99, /^.{1,1600}$/s, "1 to 1600 characters"),
  entityValues: list(99, /^.{1,1224}$/s, "1 to 1224 characters"),
  eventTypeCategories: { kind: "list", max: 10, values: CATEGORIES },
  eventStatusCodes: { kind: "list", max: 6, values: STATUSES },
  actionabilities: { kind: "list", max: 3, values: ACTIONABILITIES },
  personas: { kind: "list", max: 3, values: PERSONAS },
};

const EVENT_ARN = /^arn:aws(-[a-z]+(-[a-z]+)?)?:health:[^:]*:[^:]*:event(?:\/[\w-]+){3}$/;

const RULES: Record<Scope, Record<string, Rule>> = {
  organization: {
    ...COMMON,
    awsAccountIds: list(50, /^\d{12}$/, "a 12-digit account id"),
    startTime: { kind: "range" },
    endTime: { kind: "range" },
  },
  account: {
    ...COMMON,
    eventArns: list(10, EVENT_ARN, "an AWS Health event ARN"),
    availabilityZones: list(10, /^[a-z]{2}-[0-9a-z-]{4,16}$/, "an Availability Zone such as us-east-1a"),
    startTimes: { kind: "ranges", max: 10 },
    endTimes: { kind: "ranges", max: 10 },
    tags: { kind: "tags", max: 50 },
  },
};

function bad(detail: string): never {
  throw new UsageError(`Invalid ${INPUT.filter}: ${detail}`);
}

function show(value: unknown): string {
  return shorten(typeof value === "string" ? value : (JSON.stringify(value) ?? String(value)), 60);
}

function checkTime(member: string, value: unknown): string {
  const ms = typeof value === "string" ? parseIsoTime(value) : undefined;
  if (ms === undefined) {
    bad(`${member} must be an ISO 8601 time that exists, from 1970 on; got ${show(value)}.`);
  }
  return new Date(ms).toISOString();
}

function checkRange(member: string, value: unknown): TimeRange {
  if (!isObject(value)) bad(`${member} must be an object {"from": "...", "to": "..."}.`);
  const range: TimeRange = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== "from" && k !== "to") bad(`${member} takes only "from" and "to", not ${show(k)}.`);
    range[k] = checkTime(`${member}.${k}`, v);
  }
  if (range.from === undefined && range.to === undefined) bad(`${member} needs "from", "to" or both.`);
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    bad(`${member}.from (${range.from}) is after ${member}.to (${range.to}).`);
  }
  return range;
}

function checkList(member: string, value: unknown, rule: ListRule): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > rule.max) {
    bad(`${member} must be a list of 1 to ${rule.max} strings.`);
  }
  for (const item of value) {
    if (typeof item !== "string" || item === "")
      bad(`${member} must hold non-empty strings, got ${show(item)}.`);
    if (rule.values && !rule.values.includes(item)) {
      bad(`${member} has ${show(item)}; allowed: ${rule.values.join(", ")}.`);
    }
    if (rule.pattern && !rule.pattern.test(item)) bad(`${member} has ${show(item)}, not ${rule.shape}.`);
  }
  return value as string[];
}

function checkTags(member: string, value: unknown, max: number): Record<string, string>[] {
  if (!Array.isArray(value) || value.length > max) bad(`${member} must be a list of at most ${max} maps.`);
  return value.map((tags) => {
    if (!isObject(tags) || Object.keys(tags).length > 50) {
      bad(`${member} must hold objects of at most 50 tags, {"key": "value"}; got ${show(tags)}.`);
    }
    for (const [k, v] of Object.entries(tags)) {
      if (k.length > 127 || typeof v !== "string" || v.length > 255) {
        bad(
          `${member} has ${show({ [k]: v })}: keys are at most 127 characters, values strings of at most 255.`,
        );
      }
    }
    return tags as Record<string, string>;
  });
}

function checkMember(member: string, value: unknown, rule: Rule): FilterValue {
  switch (rule.kind) {
    case "list":
      return checkList(member, value, rule);
    case "range":
      return checkRange(member, value);
    case "ranges":
      if (!Array.isArray(value) || value.length < 1 || value.length > rule.max) {
        bad(`${member} must be a list of 1 to ${rule.max} ranges.`);
      }
      return value.map((r) => checkRange(member, r));
    case "tags":
      return checkTags(member, value, rule.max);
  }
}

/**
 * Parses and validates the filter JSON for a scope. A UTF-8 byte-order mark (from a file) is accepted;
 * a member written twice in one object is refused (JSON.parse would keep the last without a word).
 */
export function parseFilter(text: string, scope: Scope): EventFilter {
  const json = text.replace(/^\uFEFF/, "").trim() || "{}";
  try {
    return checkFilter(json, scope);
  } catch (error) {
    // Deep nesting overflows the stack of the checks (or of JSON.parse) before any rule can say no.
    if (!(error instanceof RangeError)) throw error;
    bad(
      `nested too deeply (${error.message}). A filter nests at most 3 levels: {"tags": [{"key": "value"}]}.`,
    );
  }
}

function checkFilter(json: string, scope: Scope): EventFilter {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    bad(`not valid JSON (${errorMessage(error)}).`);
  }
  if (!isObject(raw)) bad("must be a JSON object.");
  const twice = duplicateKey(json);
  if (twice !== undefined) bad(`${show(twice)} appears twice in one object; give each member once.`);
  const rules = RULES[scope];
  // Built member by member from the rules above, which name only members of EventFilter.
  const filter: Record<string, FilterValue> = {};
  for (const [member, value] of Object.entries(raw)) {
    if (member === "lastUpdatedTime" || member === "lastUpdatedTimes") {
      bad(
        `set the lastUpdatedTime bounds with the ${INPUT.since} and ${INPUT.until} inputs, not in the filter.`,
      );
    }
    // Own members only: "toString" or "__proto__" must not find Object.prototype's.
    const rule = Object.hasOwn(rules, member) ? rules[member] : undefined;
    if (!rule) {
      bad(
        `${show(member)} is not a member of the ${scope} event filter; allowed: ${Object.keys(rules).join(", ")}.`,
      );
    }
    filter[member] = checkMember(member, value, rule);
  }
  return filter as EventFilter;
}
