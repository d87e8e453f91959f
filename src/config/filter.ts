import { UsageError } from "../errors.ts";
import { INPUT, type Scope } from "./names.ts";

/**
 * The `filter` input: further members of OrganizationEventFilter / EventFilter, validated against the
 * service's limits here because the SDK validates nothing client side (REFERENCE.md, section 1).
 * Timestamps stay ISO strings so the filter can be stored in the checkpoint as it is.
 */
export type FilterValue = string | string[] | TimeRange | TimeRange[] | Record<string, string>[];
export interface TimeRange {
  from?: string;
  to?: string;
}
export type EventFilter = Record<string, FilterValue>;

type Rule =
  | { kind: "list"; max: number; values?: readonly string[]; pattern?: RegExp }
  | { kind: "range" }
  | { kind: "ranges"; max: number }
  | { kind: "tags"; max: number };

const CATEGORIES = ["issue", "accountNotification", "scheduledChange", "investigation"] as const;
const STATUSES = ["open", "closed", "upcoming"] as const;
const ACTIONABILITIES = ["ACTION_REQUIRED", "ACTION_MAY_BE_REQUIRED", "INFORMATIONAL"] as const;
const PERSONAS = ["OPERATIONS", "SECURITY", "BILLING"] as const;

const COMMON: Record<string, Rule> = {
  eventTypeCodes: { kind: "list", max: 10 },
  services: { kind: "list", max: 10 },
  regions: { kind: "list", max: 10 },
  entityArns: { kind: "list", max: 99 },
  entityValues: { kind: "list", max: 99 },
  eventTypeCategories: { kind: "list", max: 10, values: CATEGORIES },
  eventStatusCodes: { kind: "list", max: 6, values: STATUSES },
  actionabilities: { kind: "list", max: 3, values: ACTIONABILITIES },
  personas: { kind: "list", max: 3, values: PERSONAS },
};

const RULES: Record<Scope, Record<string, Rule>> = {
  organization: {
    ...COMMON,
    awsAccountIds: { kind: "list", max: 50, pattern: /^\d{12}$/ },
    startTime: { kind: "range" },
    endTime: { kind: "range" },
  },
  account: {
    ...COMMON,
    eventArns: { kind: "list", max: 10 },
    availabilityZones: { kind: "list", max: 10 },
    startTimes: { kind: "ranges", max: 10 },
    endTimes: { kind: "ranges", max: 10 },
    tags: { kind: "tags", max: 50 },
  },
};

function bad(detail: string): never {
  throw new UsageError(`Invalid ${INPUT.filter}: ${detail}`);
}

function checkTime(member: string, value: unknown): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
    bad(`${member} must hold ISO 8601 times, got ${JSON.stringify(value)}.`);
  }
  return new Date(value).toISOString();
}

function checkRange(member: string, value: unknown): TimeRange {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    bad(`${member} must be an object {"from": "...", "to": "..."}.`);
  }
  const range: TimeRange = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== "from" && k !== "to") bad(`${member} takes only "from" and "to", not ${JSON.stringify(k)}.`);
    range[k] = checkTime(`${member}.${k}`, v);
  }
  return range;
}

function checkList(member: string, value: unknown, rule: Extract<Rule, { kind: "list" }>): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > rule.max) {
    bad(`${member} must be a list of 1 to ${rule.max} strings.`);
  }
  for (const item of value) {
    if (typeof item !== "string" || item === "") bad(`${member} must hold non-empty strings.`);
    if (rule.values && !rule.values.includes(item)) {
      bad(`${member} has ${JSON.stringify(item)}; allowed: ${rule.values.join(", ")}.`);
    }
    if (rule.pattern && !rule.pattern.test(item))
      bad(`${member} has ${JSON.stringify(item)}, not a 12-digit account id.`);
  }
  return value as string[];
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
      if (!Array.isArray(value) || value.length > rule.max)
        bad(`${member} must be a list of at most ${rule.max} maps.`);
      return value as Record<string, string>[];
  }
}

/** Parses and validates the filter JSON for a scope. */
export function parseFilter(text: string, scope: Scope): EventFilter {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (error) {
    bad(`not valid JSON (${(error as Error).message}).`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("must be a JSON object.");
  const rules = RULES[scope];
  const filter: EventFilter = {};
  for (const [member, value] of Object.entries(raw)) {
    if (member === "lastUpdatedTime" || member === "lastUpdatedTimes") {
      bad(
        `set the lastUpdatedTime bounds with the ${INPUT.since} and ${INPUT.until} inputs, not in the filter.`,
      );
    }
    const rule = rules[member];
    if (!rule) {
      bad(
        `${JSON.stringify(member)} is not a member of the ${scope} event filter; allowed: ${Object.keys(rules).join(", ")}.`,
      );
    }
    filter[member] = checkMember(member, value, rule);
  }
  return filter;
}
