import type { SimulatorStats } from "./types.ts";

export function createStats(): SimulatorStats {
  return {
    requests: 0,
    byOperation: {},
    throttled: 0,
    throttledByFamily: {},
    succeededByFamily: {},
    errors: 0,
    dropped: 0,
    serverTimeMsByOperation: {},
    windowByFamily: {},
  };
}

/** Zeroes the stats in place, so references held by tests stay live. */
export function clearStats(stats: SimulatorStats): void {
  Object.assign(stats, createStats());
}

export function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/** Widens a family's window to include a request that arrived at `start` and was answered at `end`. */
export function widen(stats: SimulatorStats, family: string, start: number, end: number): void {
  const w = stats.windowByFamily[family];
  if (w === undefined) stats.windowByFamily[family] = { first: start, last: end };
  else {
    w.first = Math.min(w.first, start);
    w.last = Math.max(w.last, end);
  }
}
