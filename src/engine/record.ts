import type { LastRunOptions, Query } from "../config/config.ts";
import { INPUT, LAST_RUN } from "../config/names.ts";
import { isObject, timeOf } from "../config/parse.ts";
import { describeDuration } from "../util/words.ts";
import type { StateStore } from "./checkpoint.ts";

/**
 * The record of the last complete backfill of a query, read by `since: last-run`. It is written only
 * when a backfill completes, so an interrupted run never moves it: the next run covers that window again.
 */
export const RECORD_VERSION = 1;

export interface RunRecord {
  readonly version: typeof RECORD_VERSION;
  /** The query as configured (the same fingerprint the checkpoint carries). */
  readonly fingerprint: string;
  /** The window that run backed up; `until` is where the next incremental run continues. */
  readonly from?: string;
  readonly until: string;
  readonly completedAt: string;
  readonly events: number;
  readonly pages: number;
}

/**
 * Where the record lives (a file beside the output, or the Actions cache). `load` throws
 * RecordUnreadableError for one it cannot use.
 */
export type RunRecordStore = StateStore<RunRecord>;

/** A record exists but cannot be used; the run falls back to `first-since` and says why. */
export class RecordUnreadableError extends Error {
  override name = "RecordUnreadableError";
}

/** AWS keeps Health events for 90 days: a window that reaches further back has a gap nobody can fill. */
export const AWS_RETENTION_MS = 90 * 86_400_000;

/** Why a window starts where it starts: each front door words it for its reader. */
export type WindowBasis =
  /** `since` as written (or none: everything AWS keeps). */
  | { readonly kind: "query" }
  /** Resumed: the window pinned in the checkpoint. */
  | { readonly kind: "checkpoint" }
  /** `since: last-run`, continuing from the record. */
  | { readonly kind: "record"; readonly record: RunRecord; readonly overlapMs: number }
  /** `since: last-run` without a usable record: from `first-since`. */
  | { readonly kind: "first-since"; readonly firstSince: string; readonly problem?: string }
  /** `since: last-run` whose record ended before the oldest event AWS still keeps. */
  | { readonly kind: "gap"; readonly record: RunRecord; readonly lostFrom: string; readonly lostTo: string };

export interface Window {
  readonly from?: string;
  readonly to: string;
  readonly basis: WindowBasis;
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function problemOf(doc: Record<string, unknown>, fingerprint: string): string | undefined {
  if (doc.version !== RECORD_VERSION)
    return `version ${JSON.stringify(doc.version)} is not ${RECORD_VERSION}`;
  if (doc.fingerprint !== fingerprint)
    return `it belongs to another query (fingerprint ${JSON.stringify(doc.fingerprint)})`;
  if (!isTime(doc.until)) return "until is not a time";
  if (doc.from !== undefined && !isTime(doc.from)) return "from is not a time";
  if (!isTime(doc.completedAt)) return "completedAt is not a time";
  if (!isCount(doc.events) || !isCount(doc.pages)) return "events or pages is not a count";
  return undefined;
}

/** The record in `text`, checked against the query's fingerprint; throws RecordUnreadableError. */
export function parseRecord(text: string, location: string, fingerprint: string): RunRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    doc = undefined;
  }
  const problem = isObject(doc) ? problemOf(doc, fingerprint) : "it is not a JSON object";
  if (problem) throw new RecordUnreadableError(`The last-run record ${location} is unreadable: ${problem}.`);
  return doc as unknown as RunRecord;
}

export function serializeRecord(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Where a new backfill's window starts (epoch ms; undefined: no lower bound) and why. `found` is what
 * the record store gave: the record, nothing, or why it could not be used. Never narrower than the
 * record allows: only AWS's own 90 days cut it, and that is reported as a gap.
 */
export function resolveFrom(
  query: Query,
  options: LastRunOptions,
  found: RunRecord | undefined | RecordUnreadableError,
  now: number,
  until: number,
): { readonly from: number | undefined; readonly basis: WindowBasis } {
  if (query.since !== LAST_RUN) {
    return {
      from: query.bounds.since === undefined ? undefined : timeOf(query.bounds.since, now),
      basis: { kind: "query" },
    };
  }
  const oldest = now - AWS_RETENTION_MS;
  if (found === undefined || found instanceof RecordUnreadableError) {
    const from = Math.min(timeOf(options.firstSinceBound, now), until);
    const problem = found?.message;
    return {
      from,
      basis: {
        kind: "first-since",
        firstSince: options.firstSince,
        ...(problem === undefined ? {} : { problem }),
      },
    };
  }
  const ended = Date.parse(found.until);
  if (ended < oldest) {
    const lostTo = new Date(oldest).toISOString();
    return {
      from: Math.min(oldest, until),
      basis: { kind: "gap", record: found, lostFrom: new Date(ended).toISOString(), lostTo },
    };
  }
  // The overlap may reach past what AWS keeps; that part was backed up by the recorded run already.
  const from = Math.min(Math.max(ended - options.overlapMs, oldest), until);
  return { from, basis: { kind: "record", record: found, overlapMs: options.overlapMs } };
}

/** A window that cannot reach where the last run ended, or ignores a record it could not read: warn. */
export function isWarning(window: Window): boolean {
  const b = window.basis;
  return b.kind === "gap" || (b.kind === "first-since" && b.problem !== undefined);
}

/** One sentence on where the window starts, for the log and the summary (the same words for both doors). */
export function describeBasis(window: Window, now: number): string {
  const b = window.basis;
  const from = window.from ?? "everything AWS keeps (90 days)";
  switch (b.kind) {
    case "query":
      return `Window (lastUpdatedTime): ${from} to ${window.to}.`;
    case "checkpoint":
      return `Window (lastUpdatedTime), pinned in the checkpoint: ${from} to ${window.to}.`;
    case "record":
      return (
        `Window (lastUpdatedTime): ${from} to ${window.to}, continuing the last complete run ` +
        `(until ${b.record.until}, completed ${b.record.completedAt}) less ${describeDuration(b.overlapMs)} of overlap.`
      );
    case "first-since": {
      const why = b.problem === undefined ? "" : ` (${b.problem.replace(/\.$/, "")})`;
      return `No earlier complete run found${why}: backing up from ${from} (${INPUT.firstSince} ${b.firstSince}) to ${window.to}.`;
    }
    case "gap":
      return (
        `The last complete run of this query ended at ${b.lostFrom}, ${describeDuration(now - Date.parse(b.lostFrom))} ago, ` +
        `but AWS keeps Health events for 90 days: events updated between ${b.lostFrom} and ${b.lostTo} can no longer be fetched. ` +
        `Backing up what AWS still has, from ${from} to ${window.to}.`
      );
  }
}
