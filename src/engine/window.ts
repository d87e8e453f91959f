import type { LastRunOptions, Query } from "../config/config.ts";
import { LAST_RUN } from "../config/names.ts";
import { timeOf, untilOf } from "../config/parse.ts";
import { RecordUnreadableError, type RunRecord } from "./record.ts";

/**
 * The lastUpdatedTime window of a new backfill: where it ends (worked out here, once) and where it
 * starts, from the query or from the record of the last complete run, and why.
 */

/** AWS keeps Health events for 90 days: a window that reaches further back has a gap nobody can fill. */
export const AWS_RETENTION_MS = 90 * 86_400_000;

/**
 * How far a record's `until` may lie after AWS's now before it is suspect: AWS's time is learned from a
 * `Date` header with whole seconds, so a record written on AWS's clock is at most about a second ahead.
 */
export const CLOCK_TOLERANCE_MS = 60_000;

/** Why a window starts where it starts: each front door words it for its reader. */
export type WindowBasis =
  /** `since` as written (or none: everything AWS keeps). */
  | { readonly kind: "query" }
  /** Resumed: the window pinned in the checkpoint. */
  | { readonly kind: "checkpoint" }
  /** `since: last-run`, continuing from the record. */
  | { readonly kind: "record"; readonly record: RunRecord; readonly overlapMs: number }
  /** `since: last-run` in a later attempt of the run that wrote the record: the same window again. */
  | { readonly kind: "repeat"; readonly record: RunRecord }
  /** `since: last-run` without a usable record: from `first-since` (which may reach past AWS's 90 days). */
  | {
      readonly kind: "first-since";
      readonly firstSince: string;
      readonly problem?: string;
      /** Where AWS's 90 days begin, when `first-since` reaches further back. */
      readonly retainedFrom?: string;
    }
  /** `since: last-run` whose record ended before the oldest event AWS still keeps. */
  | { readonly kind: "gap"; readonly record: RunRecord; readonly lostFrom: string; readonly lostTo: string }
  /** `since: last-run` whose record ends after AWS's now (written on a fast clock): from its own start. */
  | {
      readonly kind: "future";
      readonly record: RunRecord;
      readonly awsNow: string;
      readonly firstSince: string;
    };

export interface Window {
  readonly from?: string;
  readonly to: string;
  readonly basis: WindowBasis;
}

/** What resolveWindow needs besides the query: the record store's answer, AWS's now, this run. */
export interface WindowInputs {
  /** The record, nothing, or why it could not be used. */
  readonly found: RunRecord | undefined | RecordUnreadableError;
  /** AWS's current time (epoch ms). */
  readonly now: number;
  /** The run this backfill belongs to (the action's workflow run id); undefined for the script. */
  readonly run?: string | undefined;
}

/**
 * The window of a new backfill (epoch ms; `from` undefined: no lower bound) and why. Never narrower than
 * the record allows: only AWS's own 90 days cut it, and that is reported as a gap. A later attempt of
 * the run that wrote the record backs up that run's window again, so a re-run after a later step failed
 * (the upload of the archive, say) delivers the same delta, not an empty one.
 */
export function resolveWindow(
  query: Query,
  options: LastRunOptions,
  inputs: WindowInputs,
): { readonly from: number | undefined; readonly until: number; readonly basis: WindowBasis } {
  const { found, now } = inputs;
  const until = untilOf(query.bounds.until, now);
  if (query.since !== LAST_RUN) {
    const from = query.bounds.since === undefined ? undefined : timeOf(query.bounds.since, now);
    return { from, until, basis: { kind: "query" } };
  }
  const oldest = now - AWS_RETENTION_MS;
  const firstSince = Math.min(timeOf(options.firstSinceBound, now), until);
  if (found === undefined || found instanceof RecordUnreadableError) {
    const basis: WindowBasis = {
      kind: "first-since",
      firstSince: options.firstSince,
      ...(found === undefined ? {} : { problem: found.message }),
      ...(firstSince < oldest ? { retainedFrom: new Date(oldest).toISOString() } : {}),
    };
    return { from: firstSince, until, basis };
  }
  const ended = Date.parse(found.until);
  const started = found.from === undefined ? undefined : Date.parse(found.from);
  if (found.run !== undefined && found.run === inputs.run) {
    return { from: started, until: ended, basis: { kind: "repeat", record: found } };
  }
  if (ended > now + CLOCK_TOLERANCE_MS) {
    const from = Math.min(started ?? firstSince, until);
    const awsNow = new Date(now).toISOString();
    return { from, until, basis: { kind: "future", record: found, awsNow, firstSince: options.firstSince } };
  }
  if (ended < oldest) {
    const lostTo = new Date(oldest).toISOString();
    return {
      from: Math.min(oldest, until),
      until,
      basis: { kind: "gap", record: found, lostFrom: new Date(ended).toISOString(), lostTo },
    };
  }
  // The overlap may reach past what AWS keeps; that part was backed up by the recorded run already.
  const from = Math.min(Math.max(ended - options.overlapMs, oldest), until);
  return { from, until, basis: { kind: "record", record: found, overlapMs: options.overlapMs } };
}

/** The record a window continues, if any: its provenance carries over to the next record. */
export function recordOf(basis: WindowBasis): RunRecord | undefined {
  return "record" in basis ? basis.record : undefined;
}

/** A window that cannot reach where the last run ended, ignores a record, or distrusts one: warn. */
export function isWarning(window: Window): boolean {
  const b = window.basis;
  if (b.kind === "first-since") return b.problem !== undefined || b.retainedFrom !== undefined;
  return b.kind === "gap" || b.kind === "future";
}
