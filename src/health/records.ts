import type { EventRecord } from "../engine/source.ts";

/** The summary of an event as the list call returns it, in output form. */
export interface ListedEvent extends EventRecord {
  readonly eventScopeCode?: string;
}

/** SDK values to output form: Dates become ISO strings, undefined members disappear. */
export function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && k !== "$metadata") out[k] = plain(v);
    }
    return out;
  }
  return value;
}

/** An event summary in output form, `arn` first. */
export function toListedEvent(event: object): ListedEvent {
  const { arn, ...rest } = plain(event) as Record<string, unknown>;
  if (typeof arn !== "string") throw new Error("The API returned an event without an arn.");
  return { arn, ...rest };
}
