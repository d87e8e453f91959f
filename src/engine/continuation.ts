import type { ResolvedRequest } from "./request.ts";
import type { EventRecord, EventSource, Page, PageBudget } from "./source.ts";

/**
 * Continuing a backfill by time instead of by its token, when the token cannot be used (the API
 * refused it, or it expired and the user chose to continue). The API lists events newest
 * `lastUpdatedTime` first and the window's `until` is pinned, so the output's last line is a cursor:
 * listing the same request again with `lastUpdatedTime.to` set to the last written event's time (ranges
 * are inclusive) and dropping the events of that instant already written continues exactly once. Events
 * that share one instant have no documented order, hence the list of ARNs, not just the time.
 * Events updated while the backfill was stopped have left the pinned window; the next run gets them.
 */
export interface Cursor {
  /** The lastUpdatedTime of the last event written (ISO 8601). */
  readonly lastUpdatedTime: string;
  /** ARNs of the events written with exactly that lastUpdatedTime. */
  readonly skip: readonly string[];
}

/** The request that continues `request` at `cursor`: the same query, its window ending at the cursor. */
export function continuation(request: ResolvedRequest, cursor: Cursor): ResolvedRequest {
  const f = request.filter;
  const to = cursor.lastUpdatedTime;
  const filter = f.lastUpdatedTimes
    ? { ...f, lastUpdatedTimes: f.lastUpdatedTimes.map((range, i) => (i === 0 ? { ...range, to } : range)) }
    : { ...f, lastUpdatedTime: { ...f.lastUpdatedTime, to } };
  return { ...request, filter };
}

function timeOf(value: unknown): number {
  return value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
}

/** The source, with the events of the cursor's instant already written left out of each page. */
export function skippingWritten(source: EventSource, cursor: Cursor): EventSource {
  const at = Date.parse(cursor.lastUpdatedTime);
  const written = new Set(cursor.skip);
  const fresh = (event: object) => {
    const e = event as { arn?: unknown; lastUpdatedTime?: unknown };
    return !(timeOf(e.lastUpdatedTime) === at && typeof e.arn === "string" && written.has(e.arn));
  };
  return {
    preflight: (request, signal) => source.preflight(request, signal),
    async listPage(request: ResolvedRequest, token: string | undefined, signal: AbortSignal): Promise<Page> {
      const page = await source.listPage(request, token, signal);
      return { ...page, events: page.events.filter(fresh) };
    },
    enrich: (request: ResolvedRequest, events: readonly object[], signal: AbortSignal, budget: PageBudget) =>
      source.enrich(request, events, signal, budget) as Iterable<EventRecord> | AsyncIterable<EventRecord>,
  };
}
