/** Counts and durations as a person says them; used by the engine's facts and both front doors. */

export const number = new Intl.NumberFormat("en-US");

/** "1 page", "12 pages", "1,200 events". */
export function count(n: number, unit: string): string {
  return `${number.format(n)} ${unit}${n === 1 ? "" : "s"}`;
}

/** A duration the way a person reads it: 45 seconds, 12 minutes, 25.3 hours, 102 days. */
export function describeDuration(ms: number): string {
  if (ms < 120_000) return count(Math.round(ms / 1000), "second");
  if (ms < 7_200_000) return count(Math.round(ms / 60_000), "minute");
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} hours`;
  return count(Math.floor(ms / 86_400_000), "day");
}
