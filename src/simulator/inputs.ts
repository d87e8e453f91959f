import type { EventFilterInput, Scope, TimeRange } from "./filters.ts";
import { ServiceError } from "./protocol.ts";
import {
  ACCOUNT_FILTER,
  ENTITY_FILTER,
  ENTITY_STATUSES,
  ORGANIZATION_FILTER,
  PATTERNS,
  readFilter,
  readStrings,
  strings,
} from "./shapes.ts";
import {
  checkLength,
  checkRequired,
  checkStringPattern,
  checkValue,
  readInteger,
  readString,
  readStructList,
  Violations,
} from "./validation.ts";

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

/** Page-size ranges per operation (DescribeAffectedAccountsForOrganization keeps 10-100). */
const PAGE = { events: [1, 100], accounts: [10, 100], entities: [1, 100] } as const;

function readListParams(
  input: Record<string, unknown>,
  page: readonly [number, number],
  v: Violations,
): ListParams {
  const maxResults = readInteger(input, "maxResults", "maxResults");
  if (maxResults !== undefined) checkValue(maxResults, "maxResults", page[0], page[1], v);
  const nextToken = readString(input, "nextToken", "nextToken");
  if (nextToken !== undefined) checkStringPattern(nextToken, "nextToken", PATTERNS.nextToken, v);
  return { maxResults, nextToken, locale: readLocale(input, v) };
}

function readLocale(input: Record<string, unknown>, v: Violations): string | undefined {
  const locale = readString(input, "locale", "locale");
  if (locale !== undefined) checkLength(locale, "locale", 2, 256, v);
  return locale;
}

/** Only English is served: `en`, `en-US`, `en_GB` and the like; anything else is UnsupportedLocale. */
export function checkLocale(locale: string | undefined): void {
  if (locale === undefined || /^en([-_][A-Za-z]{2,3})?$/.test(locale)) return;
  throw new ServiceError(
    "UnsupportedLocale",
    `The locale '${locale}' is not supported. Supported locales: en, en-US.`,
  );
}

function finish<T extends { locale: string | undefined }>(v: Violations, result: T): T {
  v.throwIfAny();
  checkLocale(result.locale);
  return result;
}

export function parseEventsInput(
  input: Record<string, unknown>,
  scope: Scope,
): ListParams & { filter: EventFilterInput } {
  const v = new Violations();
  const spec = scope === "organization" ? ORGANIZATION_FILTER : ACCOUNT_FILTER;
  const filter = (readFilter(input, "filter", spec, v) ?? {}) as EventFilterInput;
  return finish(v, { ...readListParams(input, PAGE.events, v), filter });
}

export function parseAffectedAccountsInput(
  input: Record<string, unknown>,
): ListParams & { eventArn: string } {
  const v = new Violations();
  const eventArn = readString(input, "eventArn", "eventArn");
  checkRequired(eventArn, "eventArn", v);
  if (eventArn !== undefined) checkStringPattern(eventArn, "eventArn", PATTERNS.eventArn, v);
  return finish(v, {
    ...readListParams(input, PAGE.accounts, v),
    locale: undefined,
    eventArn: eventArn ?? "",
  });
}

export function parseDetailsInput(input: Record<string, unknown>): {
  eventArns: string[];
  locale: string | undefined;
} {
  const v = new Violations();
  const eventArns = readStrings(
    input,
    "eventArns",
    "eventArns",
    strings(1, 10, { pattern: PATTERNS.eventArn }),
    v,
  );
  checkRequired(eventArns, "eventArns", v);
  return finish(v, { eventArns: eventArns ?? [], locale: readLocale(input, v) });
}

export function parseOrgDetailsInput(input: Record<string, unknown>): {
  filters: AccountFilter[];
  locale: string | undefined;
} {
  const v = new Violations();
  const filters = readAccountFilters(input, "organizationEventDetailFilters", v);
  checkRequired(filters, "organizationEventDetailFilters", v);
  return finish(v, { filters: filters ?? [], locale: readLocale(input, v) });
}

/**
 * DescribeAffectedEntitiesForOrganization takes `organizationEntityAccountFilters` or the older
 * `organizationEntityFilters` (no status codes); one of them is needed.
 */
export function parseOrgEntitiesInput(
  input: Record<string, unknown>,
): ListParams & { filters: AccountFilter[] } {
  const v = new Violations();
  const key =
    input.organizationEntityAccountFilters !== undefined
      ? "organizationEntityAccountFilters"
      : "organizationEntityFilters";
  const filters = readAccountFilters(input, key, v);
  checkRequired(filters, "organizationEntityAccountFilters", v);
  return finish(v, { ...readListParams(input, PAGE.entities, v), filters: filters ?? [] });
}

export function parseEntitiesInput(
  input: Record<string, unknown>,
): ListParams & { filter: EntityFilterInput } {
  const v = new Violations();
  const filter = readFilter(input, "filter", ENTITY_FILTER, v);
  checkRequired(filter, "filter", v);
  if (filter !== undefined) checkRequired(filter.eventArns, "filter.eventArns", v);
  return finish(v, {
    ...readListParams(input, PAGE.entities, v),
    filter: (filter ?? { eventArns: [] }) as unknown as EntityFilterInput,
  });
}

function readAccountFilters(
  input: Record<string, unknown>,
  key: string,
  v: Violations,
): AccountFilter[] | undefined {
  const list = readStructList(input, key, key);
  if (list === undefined) return undefined;
  checkLength(list, key, 1, 10, v);
  return list.map((item, i) => {
    const path = `${key}.${i + 1}.member`;
    const eventArn = readString(item, "eventArn", `${path}.eventArn`);
    checkRequired(eventArn, `${path}.eventArn`, v);
    if (eventArn !== undefined) checkStringPattern(eventArn, `${path}.eventArn`, PATTERNS.eventArn, v);
    const awsAccountId = readString(item, "awsAccountId", `${path}.awsAccountId`);
    if (awsAccountId !== undefined) checkStringPattern(awsAccountId, `${path}.awsAccountId`, /^\S{1,12}$/, v);
    const statusCodes = readStrings(
      item,
      "statusCodes",
      `${path}.statusCodes`,
      strings(1, 5, { enum: ENTITY_STATUSES }),
      v,
    );
    return { eventArn: eventArn ?? "", awsAccountId, statusCodes };
  });
}
