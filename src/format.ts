/**
 * How numbers, durations and progress read, for both front doors (the script's stderr, the action's
 * log and summary) and for the facts the engine states. One home, so both say things alike.
 */
import { INPUT } from "./config/names.ts";
import type { BackfillResult, ContinueInfo, Progress, ResumeInfo, SetAsideInfo } from "./engine/backfill.ts";
import type { RunRecord } from "./engine/record.ts";
import type { Window } from "./engine/window.ts";
import type { MergeResult } from "./local/archive.ts";
import type { Tally } from "./local/tally.ts";
import type { S3Committed } from "./s3/archive.ts";
import { count, describeDuration, number } from "./util/words.ts";

export { count, describeDuration, number };

/** "63%" (rounded down, so 100% means done). */
export function percent(covered: number): string {
  return `${Math.floor(covered * 100)}%`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "0.5 kB": the cache log's size of an upload, always in kilobytes. */
export function kB(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

/** Bytes the way a person reads them: "512 B", "0.5 kB" (from 1000 B), "1.2 MB". */
export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return kB(bytes);
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
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

/**
 * A restart replaces the checkpoint when the first page of the new backfill arrives, not before: a run
 * that fails earlier leaves it as it was, so the line says what will happen, not what has.
 */
export function restartText(location: string): string {
  return `Restart: the checkpoint ${location} is discarded when the first page arrives.`;
}

/**
 * A page's progress: "1,200 events · 12 pages · 340 events/s · 3.5 s · 42% of the window, ~3 s left".
 * `brief` (the action's log, a line per page) leaves out the pages, which the line starts with, and the rate.
 */
export function progressText(p: Progress, brief = false): string {
  const parts = brief
    ? [count(p.events, "event"), seconds(p.elapsedMs)]
    : [count(p.events, "event"), count(p.pages, "page"), rate(p), seconds(p.elapsedMs)];
  const covered = coverageText(p);
  return [...parts, ...(covered ? [covered] : [])].join(" · ");
}

/** "page 12: ..." for a log with a line per page. */
export function pageLine(p: Progress, brief = false): string {
  return `page ${p.pages}: ${progressText(p, brief)}`;
}

/**
 * "✓ Complete: 1,200 events in 12 pages, 3.5 s. Output: out.ndjson". With `resumed`, a resumed backfill
 * also says how many events this run wrote and where it resumed.
 */
export function completeText(r: BackfillResult, output: string, resumed = false): string {
  const from =
    resumed && r.resumed
      ? ` (${number.format(r.newEvents)} in this run, resumed from page ${r.resumed.page})`
      : "";
  return `✓ Complete: ${count(r.events, "event")} in ${count(r.pages, "page")}${from}, ${seconds(r.elapsedMs)}. Output: ${output}`;
}

/** "issue 12 (open 2, closed 10) · scheduledChange 3 (upcoming 3)", for a log line. */
export function describeTally(t: Tally): string {
  if (t.events === 0) return "no events";
  const categories = t.byCategory
    .map((c) => `${c.name} ${c.count} (${c.byStatus.map(([s, n]) => `${s} ${n}`).join(", ")})`)
    .join(" · ");
  const services = t.topServices.map(([s, n]) => `${s} ${n}`).join(", ");
  return `${categories}; top services: ${services}`;
}

/** "Events by category (status): issue 12 (open 2, closed 10); top services: EC2 9." */
export function tallyText(t: Tally): string {
  return `Events by category (status): ${describeTally(t)}.`;
}

function adopted(record: RunRecord): string {
  return record.adoptedFrom === undefined
    ? ""
    : ` That record was kept by release 0.1.0 (${record.adoptedFrom}) and is this backup's from now on.`;
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
        `(until ${b.record.until}, completed ${b.record.completedAt}) less ${describeDuration(b.overlapMs)} of overlap.` +
        adopted(b.record)
      );
    case "first-since": {
      const why = b.problem === undefined ? "" : ` (${b.problem.replace(/\.$/, "")})`;
      const retained =
        b.retainedFrom === undefined
          ? ""
          : ` That is further back than the 90 days AWS keeps Health events: nothing updated before ${b.retainedFrom} can be fetched.`;
      return `No earlier complete run found${why}: backing up from ${from} (${INPUT.firstSince} ${b.firstSince}) to ${window.to}.${retained}`;
    }
    case "repeat":
      return (
        `Window (lastUpdatedTime): ${from} to ${window.to}, the same window as the earlier attempt of this run that completed ` +
        `(${b.record.completedAt}): a re-run backs up the same delta again, and the merge absorbs it.`
      );
    case "future":
      return (
        `The last complete run's record ends at ${b.record.until}, after AWS's current time ${b.awsNow}: it was written on a clock that ran fast, ` +
        `so events updated since it may never have been fetched. Backing up again from where that run started, ${from}, to ${window.to}.`
      );
    case "gap":
      return (
        `The last complete run of this query ended at ${b.lostFrom}, ${describeDuration(now - Date.parse(b.lostFrom))} ago, ` +
        `but AWS keeps Health events for 90 days: events updated between ${b.lostFrom} and ${b.lostTo} can no longer be fetched. ` +
        `Backing up what AWS still has, from ${from} to ${window.to}.`
      );
  }
}
