import type { SimEntity, SimEvent } from "./types.ts";
import {
  checkEnum,
  checkLength,
  checkPattern,
  readRange,
  readRangeList,
  readStringList,
  readStruct,
  readStructList,
  type Violations,
} from "./validation.ts";

/** Limits and patterns of the AWS Health service model (com.amazonaws.health, 2016-08-04). */
export const PATTERNS = {
  eventArn: /^arn:aws(-[a-z]+(-[a-z]+)?)?:health:[^:]*:[^:]*:event(?:\/[\w-]+){3}$/,
  eventType: /^[^:/]{3,100}$/,
  service: /^[^:/]{2,30}$/,
  region: /^[^:/]{2,25}$/,
  availabilityZone: /^[a-z]{2}-[0-9a-z-]{4,16}$/,
  accountId: /^\S+$/,
  nextToken: /^[a-zA-Z0-9=/+_.-]{4,10000}$/,
} as const;

export const EVENT_CATEGORIES: readonly SimEvent["eventTypeCategory"][] = [
  "issue",
  "accountNotification",
  "scheduledChange",
  "investigation",
];
export const EVENT_STATUSES: readonly SimEvent["statusCode"][] = ["open", "closed", "upcoming"];
export const ENTITY_STATUSES: readonly SimEntity["statusCode"][] = [
  "IMPAIRED",
  "UNIMPAIRED",
  "UNKNOWN",
  "PENDING",
  "RESOLVED",
];
const ACTIONABILITIES = ["ACTION_REQUIRED", "ACTION_MAY_BE_REQUIRED", "INFORMATIONAL"];
const PERSONAS = ["OPERATIONS", "SECURITY", "BILLING"];

export interface StringsSpec {
  kind: "strings";
  min: number;
  max: number;
  enum?: readonly string[];
  pattern?: RegExp;
  /** Longest allowed item. */
  itemMax?: number;
}

type MemberSpec = StringsSpec | { kind: "range" } | { kind: "ranges" } | { kind: "tags" };

export function strings(
  min: number,
  max: number,
  more: Omit<Partial<StringsSpec>, "kind" | "min" | "max"> = {},
): StringsSpec {
  return { kind: "strings", min, max, ...more };
}

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
export const ORGANIZATION_FILTER: Record<string, MemberSpec> = {
  ...COMMON,
  awsAccountIds: strings(1, 50, { pattern: PATTERNS.accountId, itemMax: 12 }),
  startTime: { kind: "range" },
  endTime: { kind: "range" },
  lastUpdatedTime: { kind: "range" },
};

/** EventFilter: lists of ranges, event ARNs, Availability Zones. */
export const ACCOUNT_FILTER: Record<string, MemberSpec> = {
  ...COMMON,
  eventArns: strings(1, 10, { pattern: PATTERNS.eventArn, itemMax: 1600 }),
  availabilityZones: strings(0, Number.POSITIVE_INFINITY, { pattern: PATTERNS.availabilityZone }),
  startTimes: { kind: "ranges" },
  endTimes: { kind: "ranges" },
  lastUpdatedTimes: { kind: "ranges" },
  tags: { kind: "tags" },
};

/** EntityFilter of DescribeAffectedEntities. */
export const ENTITY_FILTER: Record<string, MemberSpec> = {
  eventArns: strings(1, 10, { pattern: PATTERNS.eventArn, itemMax: 1600 }),
  entityArns: strings(1, 99, { itemMax: 1600 }),
  entityValues: strings(1, 99, { itemMax: 1224 }),
  lastUpdatedTimes: { kind: "ranges" },
  tags: { kind: "tags" },
  statusCodes: strings(1, 5, { enum: ENTITY_STATUSES }),
};

/** Reads and checks a filter structure; unknown members are ignored. */
export function readFilter(
  input: Record<string, unknown>,
  key: string,
  specs: Record<string, MemberSpec>,
  v: Violations,
): Record<string, unknown> | undefined {
  const obj = readStruct(input, key, key);
  if (obj === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [member, spec] of Object.entries(specs)) {
    const value = readMember(obj, member, `${key}.${member}`, spec, v);
    if (value !== undefined) out[member] = value;
  }
  return out;
}

function readMember(
  obj: Record<string, unknown>,
  member: string,
  path: string,
  spec: MemberSpec,
  v: Violations,
): unknown {
  switch (spec.kind) {
    case "range":
      return readRange(obj, member, path);
    case "ranges": {
      const list = readRangeList(obj, member, path);
      if (list) checkLength(list, path, 1, 10, v);
      return list;
    }
    case "tags": {
      const list = readStructList(obj, member, path);
      if (list) checkLength(list, path, 0, 50, v);
      return list;
    }
    case "strings":
      return readStrings(obj, member, path, spec, v);
  }
}

export function readStrings(
  obj: Record<string, unknown>,
  member: string,
  path: string,
  spec: StringsSpec,
  v: Violations,
): string[] | undefined {
  const list = readStringList(obj, member, path);
  if (list === undefined) return undefined;
  checkLength(list, path, spec.min, spec.max, v);
  if (spec.enum) checkEnum(list, path, spec.enum, v);
  if (spec.pattern) checkPattern(list, path, spec.pattern, v);
  const max = spec.itemMax;
  if (max !== undefined && list.some((s) => s.length > max)) {
    v.add(
      list,
      path,
      `Member must satisfy constraint: [Member must have length less than or equal to ${max}]`,
    );
  }
  return list;
}
