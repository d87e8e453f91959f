import { createHash } from "node:crypto";
import type { Query } from "../config/config.ts";
import type { EventFilter, TimeRange } from "../config/filter.ts";
import type { Details, Scope } from "../config/names.ts";
import { timeOf } from "../config/parse.ts";

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

/** The pinned upper bound of a backfill that starts at `now`. */
export function resolveUntil(query: Query, now: number): number {
  return query.bounds.until === undefined ? now : timeOf(query.bounds.until, now);
}

/**
 * The request of a backfill that starts at `now`. `from` is the lower bound when something other than
 * the query decides it (`since: last-run`); otherwise `since` as written decides.
 */
export function resolveRequest(query: Query, now: number, from?: number): ResolvedRequest {
  const since = query.bounds.since;
  const lower = from ?? (since === undefined ? undefined : timeOf(since, now));
  const range: TimeRange = {
    ...(lower === undefined ? {} : { from: new Date(lower).toISOString() }),
    to: new Date(resolveUntil(query, now)).toISOString(),
  };
  // The organization filter has one range, the account filter a list of ranges (https://docs.aws.amazon.com/health/latest/APIReference/API_OrganizationEventFilter.html, API_EventFilter.html).
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
  // The query as written identifies the backfill; its parsed bounds say nothing more.
  const { bounds: _parsed, ...asWritten } = query;
  return createHash("sha256").update(canonicalJson(asWritten)).digest("hex").slice(0, 16);
}

/** The lastUpdatedTime range a request asks for (the organization filter's, or the account filter's first). */
export function windowOf(request: ResolvedRequest): { readonly from?: string; readonly to?: string } {
  const f = request.filter;
  return f.lastUpdatedTime ?? f.lastUpdatedTimes?.[0] ?? {};
}
