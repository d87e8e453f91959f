import { shorten, UsageError } from "../errors.ts";

/** Strict value parsers. Each error names the input, the value (shortened) and what is allowed. */

export function fail(name: string, value: string, allowed: string): never {
  throw new UsageError(`Invalid ${name}: ${shorten(value)}. ${allowed}`);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,9})(s|m|h|d)$/;
/** Longer than any window AWS Health keeps, short enough that date arithmetic stays in range. */
const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

function isDuration(value: string): boolean {
  return DURATION.test(value.trim());
}

export function parseDuration(name: string, value: string, maxMs = MAX_DURATION_MS): number {
  const match = DURATION.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms <= maxMs)) {
    fail(
      name,
      value,
      `Write a duration as a whole number and a unit (90s, 15m, 36h or 90d), at most ${describeMax(maxMs)}.`,
    );
  }
  return ms;
}

function describeMax(ms: number): string {
  const [unit, size] = (Object.entries(UNIT_MS) as [string, number][])
    .reverse()
    .find(([, size]) => ms % size === 0) ?? ["s", 1000];
  return `${ms / size}${unit}`;
}

export function parseBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false" || v === "") return false;
  return fail(name, value, "Allowed: true or false.");
}

export function parseInteger(name: string, value: string, min: number, max: number): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    fail(name, value, `Allowed: a whole number from ${min} to ${max}.`);
  }
  return Number(v);
}

export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const v = value.trim();
  if (!(choices as readonly string[]).includes(v)) fail(name, value, `Allowed: ${choices.join(", ")}.`);
  return v as T;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

/** Days in a month of the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An ISO 8601 time as epoch milliseconds, or undefined when it is not one or names a time that does
 * not exist (2026-02-30, 24:30) or lies before 1970. A time without a zone is UTC.
 */
export function parseIsoTime(value: string): number | undefined {
  const m = ISO_TIME.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, , offH, offM] = m.slice(1).map((p) => Number(p ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const exists =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offH <= 23 &&
    offM <= 59;
  const v = value.trim();
  const ms = Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(v) || !v.includes("T") ? v : `${v}Z`);
  return exists && ms >= 0 ? ms : undefined;
}

/**
 * A time bound parsed once: a duration back from whenever the backfill starts, or a fixed time.
 * Resolve it with `timeOf` when the start is known (the first attempt), not by parsing again.
 */
export type TimeBound = { readonly ago: number } | { readonly at: number };

export function timeOf(bound: TimeBound, now: number): number {
  return "ago" in bound ? now - bound.ago : bound.at;
}

const TIME_ALLOWED =
  "Write an ISO 8601 time that exists, from 1970 on (2026-08-01T00:00:00Z), or a duration back from now (90d, 36h).";

/** An ISO 8601 time or a duration back from the start; `allowed` says what else the input takes. */
export function parseBound(name: string, value: string, allowed = TIME_ALLOWED): TimeBound {
  const v = value.trim();
  if (isDuration(v)) return { ago: parseDuration(name, v) };
  const ms = parseIsoTime(v);
  if (ms === undefined) fail(name, value, allowed);
  return { at: ms };
}

/**
 * Where a window ends: `until` as configured, else `now`. The one rule, for the engine's window (at
 * AWS's now when a backfill starts) and for the checks of the inputs against it (when they are read).
 */
export function untilOf(until: TimeBound | undefined, now: number): number {
  return until === undefined ? now : timeOf(until, now);
}
