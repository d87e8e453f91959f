import { UsageError } from "../errors.ts";

/** Strict value parsers. Each error names the input, the value and what is allowed. */

function fail(name: string, value: string, allowed: string): never {
  throw new UsageError(`Invalid ${name}: ${JSON.stringify(value)}. ${allowed}`);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,9})(s|m|h|d)$/;

export function isDuration(value: string): boolean {
  return DURATION.test(value.trim());
}

export function parseDuration(name: string, value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) fail(name, value, "Write a duration as a whole number and a unit: 90s, 15m, 36h or 90d.");
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
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

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 time or a duration back from `now`, as epoch milliseconds. */
export function parseTime(name: string, value: string, now: number): number {
  const v = value.trim();
  if (isDuration(v)) return now - parseDuration(name, v);
  const ms = ISO_TIME.test(v)
    ? Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(v) || !v.includes("T") ? v : `${v}Z`)
    : NaN;
  if (Number.isNaN(ms)) {
    fail(
      name,
      value,
      "Write an ISO 8601 time (2026-08-01T00:00:00Z) or a duration back from now (90d, 36h).",
    );
  }
  return ms;
}
