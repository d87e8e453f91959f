/**
 * How numbers, durations and progress read, for both front doors (the script's stderr, the action's
 * log and summary) and for the facts the engine states. One home, so both say things alike.
 */

import type { ContinueInfo, Progress, ResumeInfo, SetAsideInfo } from "./engine/backfill.ts";
import type { RunRecord } from "./engine/record.ts";
import type { S3Committed } from "./s3/archive.ts";
import type { MergeResult } from "./sinks/archive.ts";
import { count, describeDuration, number } from "./util/words.ts";

export { count, describeDuration, number };

/** "63%" (rounded down, so 100% means done). */
export function percent(covered: number): string {
  return `${Math.floor(covered * 100)}%`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function ago(iso: string, now: number): string {
  return `${describeDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

export function rate(p: Progress): string {
  return p.elapsedMs > 0 ? `${number.format(Math.round((p.newEvents * 1000) / p.elapsedMs))} events/s` : "";
}

/** "~12 s left", "~3 min left", "~1.5 h left": an estimate, said as one. */
export function timeLeft(ms: number): string {
  if (ms < 90_000) return `~${Math.max(1, Math.round(ms / 1000))} s left`;
  if (ms < 5_400_000) return `~${Math.round(ms / 60_000)} min left`;
  return `~${(ms / 3_600_000).toFixed(1)} h left`;
}

/** "42% of the window, ~3 s left", or nothing before the first event. */
export function coverageText(p: Progress): string {
  const c = p.coverage;
  if (c === undefined) return "";
  return `${percent(c.covered)} of the window${c.leftMs === undefined ? "" : `, ${timeLeft(c.leftMs)}`}`;
}

/** "Stopped at 63% of the window (events back to ...)" for an attempt that did not complete. */
export function stoppedText(p: Progress | undefined): string | undefined {
  const c = p?.coverage;
  if (c === undefined || c.covered >= 1) return undefined;
  return `Stopped at ${percent(c.covered)} of the window (events written back to lastUpdatedTime ${c.reached}).`;
}

export function mergedText(m: MergeResult, archive: string): string {
  return (
    `Merged into ${archive}: ${number.format(m.added)} new and ${number.format(m.updated)} updated events; ` +
    `it holds ${number.format(m.events)} events, newest lastUpdatedTime first.`
  );
}

/** What an S3 archive's commit stored besides the archive. */
export function storedText(c: S3Committed): string {
  const heidi = c.heidi > 0 ? `, and ${count(c.heidi, "object")} for HEIDI` : "";
  return `Stored the delta as ${c.delta}${heidi}.`;
}

/** `option` as the user writes it: `--since last-run` in a terminal, `since: last-run` in a workflow. */
export function recordedText(r: RunRecord, location: string, option: string): string {
  return `Recorded as the last complete run (until ${r.until}) in ${location}: the next ${option} continues from there.`;
}

export function resumeLine(r: ResumeInfo, now: number): string {
  return (
    `Resuming from page ${r.page}: ${count(r.events, "event")} already written, ` +
    `token received at ${r.tokenReceivedAt} (${ago(r.tokenReceivedAt, now)}); checkpoint ${r.location}`
  );
}

/** An expired checkpoint of a `since: last-run` backup that a new backfill replaces. */
export function setAsideText(s: SetAsideInfo): string {
  return (
    `The checkpoint ${s.location} is ${describeDuration(s.ageMs)} old (its token was received at ${s.tokenReceivedAt}), too old to resume. ` +
    `The last complete run's record has not moved, so this run backs up that window again from the first page; ` +
    `the ${count(s.events, "event")} of ${count(s.pages, "page")} in ${s.output} are replaced when the first page arrives.`
  );
}

/** A resumed backfill that continues by time instead of by its checkpoint's token. */
export function continuedText(c: ContinueInfo): string {
  const why =
    c.reason === "region-changed"
      ? `The active AWS Health region changed from ${c.regions?.from} to ${c.regions?.to}, and a pagination token belongs to the region that issued it: continuing by time in ${c.regions?.to}`
      : c.reason === "expired"
        ? `The checkpoint ${c.location} is ${describeDuration(c.ageMs ?? 0)} old (its token was received at ${c.tokenReceivedAt}): continuing by time, as expired: continue asks`
        : `The API refused the pagination token of the checkpoint ${c.location} (received ${c.tokenReceivedAt}; ${c.detail ?? "InvalidPaginationToken"}): continuing by time instead`;
  const where =
    c.cursor === undefined
      ? "from the end of the window, as nothing was written yet"
      : `from the last event written (lastUpdatedTime ${c.cursor.lastUpdatedTime}, leaving out the ${count(c.cursor.skip.length, "event")} of that instant already written)`;
  return `${why}, ${where}. Events updated while the backfill was stopped have left its window; the next run picks them up.`;
}
