import { createHash } from "node:crypto";
import type { Query } from "../config/config.ts";
import type { EventFilter, TimeRange } from "../config/filter.ts";
import type { Details, Scope } from "../config/names.ts";
import { parseTime } from "../config/parse.ts";

/**
 * The request a backfill sends, resolved once at the first attempt (`90d` becomes a date, `until`
 * is pinned) and stored in the checkpoint: a pagination token is only valid with the exact request.
 */
export interface ResolvedRequest {
  readonly scope: Scope;
  readonly region: string;
  readonly filter: EventFilter;
  readonly pageSize: number;
  readonly details: Details;
  readonly locale?: string;
}

export function resolveRequest(query: Query, now: number): ResolvedRequest {
  const range: TimeRange = {
    ...(query.since === undefined
      ? {}
      : { from: new Date(parseTime("since", query.since, now)).toISOString() }),
    to: new Date(query.until === undefined ? now : parseTime("until", query.until, now)).toISOString(),
  };
  // The organization filter has one range, the account filter a list of ranges (REFERENCE.md, section 1).
  const filter: EventFilter =
    query.scope === "organization"
      ? { ...query.filter, lastUpdatedTime: range }
      : { ...query.filter, lastUpdatedTimes: [range] };
  return {
    scope: query.scope,
    region: query.region,
    filter,
    pageSize: query.pageSize,
    details: query.details,
    ...(query.locale === undefined ? {} : { locale: query.locale }),
  };
}

/** JSON with sorted keys, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Identifies the backfill: same query as configured, same fingerprint, whatever day it runs. */
export function fingerprint(query: Query): string {
  return createHash("sha256").update(canonicalJson(query)).digest("hex").slice(0, 16);
}
