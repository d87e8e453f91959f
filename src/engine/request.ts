import { createHash } from "node:crypto";
import type { Query } from "../config/config.ts";
import type { EventFilter, TimeRange } from "../config/filter.ts";
import { AUTO_REGION, type Details, type Scope } from "../config/names.ts";
import { canonicalJson } from "../util/json.ts";

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

/** The request of a new backfill of `query` over `window` (epoch ms; see resolveWindow in window.ts). */
export function resolveRequest(
  query: Query,
  window: { readonly from: number | undefined; readonly until: number },
): ResolvedRequest {
  const range: TimeRange = {
    ...(window.from === undefined ? {} : { from: new Date(window.from).toISOString() }),
    to: new Date(window.until).toISOString(),
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

/** Identifies the backfill: same query as configured, same fingerprint, whatever day it runs. */
export function fingerprint(query: Query): string {
  // The query as written identifies the backfill; its parsed bounds say nothing more.
  const { bounds: _parsed, ...asWritten } = query;
  return createHash("sha256").update(canonicalJson(asWritten)).digest("hex").slice(0, 16);
}

/**
 * The fingerprint release 0.1.0 gave this query, to find what it left (checkpoints, cache entries,
 * last-run records): its default region was us-east-1, where this release's is `auto`.
 */
export function releasedFingerprint(query: Query): string {
  return fingerprint(query.region === AUTO_REGION ? { ...query, region: "us-east-1" } : query);
}

/**
 * What a scheduled backup backs up: the query as configured without `page-size`, which changes how
 * events are fetched, not which. Part of a backup's identity (see BackupIdentity).
 */
export function backedUpFingerprint(query: Query): string {
  const { bounds: _parsed, pageSize: _how, ...what } = query;
  return createHash("sha256").update(canonicalJson(what)).digest("hex").slice(0, 16);
}

/** The lastUpdatedTime range a request asks for (the organization filter's, or the account filter's first). */
export function windowOf(request: ResolvedRequest): { readonly from?: string; readonly to?: string } {
  const f = request.filter;
  return f.lastUpdatedTime ?? f.lastUpdatedTimes?.[0] ?? {};
}
