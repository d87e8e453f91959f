import { type CompiledFilter, matchesCompiled } from "./filters.ts";
import type { SimEvent } from "./types.ts";

/**
 * A keyset position: the sort key of the last item returned. Items are ordered by `t` descending,
 * then `k` ascending; the next page starts after this position, wherever the list has grown since.
 */
export interface Cursor {
  t: number;
  k: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent when nothing remains. */
  next?: Cursor;
}

/** Whether an item with key (t, k) comes after the cursor. */
export function isAfter(t: number, k: string, c: Cursor): boolean {
  return t < c.t || (t === c.t && k > c.k);
}

/** First index whose event comes after the cursor (binary search: the dataset is sorted). */
export function indexAfter(dataset: readonly SimEvent[], c: Cursor): number {
  return lowerBound(dataset.length, (i) => {
    const e = dataset[i] as SimEvent;
    return isAfter(e.lastUpdatedTime.getTime(), e.arn, c);
  });
}

/** First index whose lastUpdatedTime is at most `t`. */
function indexAtOrBelow(dataset: readonly SimEvent[], t: number): number {
  return lowerBound(dataset.length, (i) => (dataset[i] as SimEvent).lastUpdatedTime.getTime() <= t);
}

/** Smallest i in [0, n] with pred(i) true, for a predicate false...false true...true (binary search). */
export function lowerBound(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** One page of events after the cursor, scanning only the part of the dataset the filter can match. */
export function pageEvents(
  dataset: readonly SimEvent[],
  filter: CompiledFilter,
  cursor: Cursor | undefined,
  max: number,
): Page<SimEvent> {
  let i = Number.isFinite(filter.newest) ? indexAtOrBelow(dataset, filter.newest) : 0;
  if (cursor) i = Math.max(i, indexAfter(dataset, cursor));
  const items: SimEvent[] = [];
  for (; i < dataset.length; i++) {
    const e = dataset[i] as SimEvent;
    if (e.lastUpdatedTime.getTime() < filter.oldest) break;
    if (!matchesCompiled(e, filter)) continue;
    if (items.length === max) return { items, next: eventKey(items[max - 1] as SimEvent) };
    items.push(e);
  }
  return { items };
}

export function eventKey(e: SimEvent): Cursor {
  return { t: e.lastUpdatedTime.getTime(), k: e.arn };
}

/** One page of an in-memory list already sorted by `key` (t descending, k ascending). */
export function pageSorted<T>(
  sorted: readonly T[],
  key: (item: T) => Cursor,
  cursor: Cursor | undefined,
  max: number,
): Page<T> {
  let start = 0;
  if (cursor) {
    start = lowerBound(sorted.length, (i) => {
      const c = key(sorted[i] as T);
      return isAfter(c.t, c.k, cursor);
    });
  }
  const items = sorted.slice(start, start + max);
  const last = items[items.length - 1];
  if (start + max < sorted.length && last !== undefined) return { items, next: key(last) };
  return { items };
}

/** Sort comparator for the keyset order. */
export function compareKeys(a: Cursor, b: Cursor): number {
  if (a.t !== b.t) return b.t - a.t;
  return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
}
