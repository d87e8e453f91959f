import type { LastRunOptions, Query } from "../config/config.ts";
import { AUTO_REGION, LAST_RUN } from "../config/names.ts";
import {
  BackfillFailedError,
  CheckpointRefusedError,
  classOf,
  EndpointUnreachableError,
  errorMessage,
  FinishFailedError,
  InterruptedError,
  type Saved,
  sentence,
} from "../errors.ts";
import { describeDuration } from "../util/words.ts";
import { CHECKPOINT_VERSION, type Checkpoint, type CheckpointStore } from "./checkpoint.ts";
import { type Cursor, continuation, skippingWritten } from "./continuation.ts";
import { type Coverage, CoverageMeter } from "./coverage.ts";
import { pagePipeline } from "./pipeline.ts";
import {
  identityId,
  RECORD_VERSION,
  RecordUnreadableError,
  type RunRecord,
  type RunRecordStore,
} from "./record.ts";
import { fingerprint, type ResolvedRequest, resolveRequest, windowOf } from "./request.ts";
import type { OutputSink } from "./sink.ts";
import { type EventSource, InvalidTokenError } from "./source.ts";
import { recordOf, resolveWindow, type Window } from "./window.ts";

export interface BackfillOptions {
  readonly query: Query;
  readonly maxCheckpointAgeMs: number;
  readonly restart: boolean;
  /** How `since: last-run` resolves (overlap, first window). */
  readonly lastRun: LastRunOptions;
  /**
   * The run this backfill belongs to (the action's workflow run id), written into the record: a later
   * attempt of that run finds its own record and backs up the same window again.
   */
  readonly run?: string | undefined;
  /**
   * What an expired checkpoint of a `since: last-run` query does. `refuse` (the rule): fail loudly.
   * `start-again`: the record has not moved, so a new run covers the checkpoint's window anyway; set
   * it aside with a warning and back up the window again (a cron job never stops on one killed run).
   */
  readonly expiredLastRun: "refuse" | "start-again";
  /**
   * An expired checkpoint: `fail` (the rule) refuses it before any call; `continue` continues the
   * backfill by time from the end of its output, loudly, instead of downloading it again.
   */
  readonly expired: "fail" | "continue";
}

export interface Progress {
  readonly events: number;
  readonly pages: number;
  readonly elapsedMs: number;
  /** Events and pages written by this attempt (excludes what a resumed checkpoint already had). */
  readonly newEvents: number;
  /** How far back through the window the events written reach; absent before the first event. */
  readonly coverage?: Coverage;
}

/** A resumed backfill that continues by time instead of by its checkpoint's token. */
export interface ContinueInfo {
  readonly reason: "token-refused" | "expired" | "region-changed";
  /** The regions, when the active region changed. */
  readonly regions?: { readonly from: string; readonly to: string };
  readonly location: string;
  readonly tokenReceivedAt: string;
  /** The checkpoint's age, when it expired. */
  readonly ageMs?: number;
  /** What the API said, when it refused the token. */
  readonly detail?: string;
  /** Where listing continues; absent when nothing was written yet (from the window's end). */
  readonly cursor?: Cursor;
}

/** An expired checkpoint of a `since: last-run` query that a new backfill replaces (see expiredLastRun). */
export interface SetAsideInfo {
  readonly location: string;
  readonly ageMs: number;
  readonly tokenReceivedAt: string;
  readonly pages: number;
  readonly events: number;
  readonly output: string;
}

export interface ResumeInfo {
  readonly page: number;
  readonly events: number;
  readonly tokenReceivedAt: string;
  readonly startedAt: string;
  readonly location: string;
}

/** What the engine tells the front door while it works. */
export interface Reporter {
  resumed(info: ResumeInfo): void;
  restarted(location: string): void;
  /** An expired checkpoint set aside: its window is backed up again (a warning). */
  setAside(info: SetAsideInfo): void;
  /** A resumed backfill continues by time, not by its token (a warning). */
  continued(info: ContinueInfo): void;
  /** The lastUpdatedTime window of this backfill and why it starts where it does; before any API call. */
  window(window: Window): void;
  page(progress: Progress): void;
}

export interface BackfillDeps {
  readonly source: EventSource;
  readonly sink: OutputSink;
  readonly store: CheckpointStore;
  /** This machine's clock: elapsed time, token ages. */
  readonly clock: () => number;
  /** AWS's time, where a new window is pinned (see AwsClock); `clock` when absent. */
  readonly awsClock?: () => number;
  /**
   * The region a new backfill starts in, and with `region: auto` the active region now: a token belongs
   * to the region that issued it, so when the active region changes (between attempts, or mid-run,
   * checked after each page), the backfill continues by time in the new one.
   */
  readonly regions?:
    | { readonly start: string; readonly active?: (() => Promise<string>) | undefined }
    | undefined;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** The record of the last complete run, for `since: last-run`; written when this backfill completes. */
  readonly records?: RunRecordStore;
  /**
   * Runs once the output is complete and the checkpoint removed, before the record advances (a merge
   * into an archive, the S3 archive's commit). If it fails, the record stays where it was, so the next
   * run covers this window again.
   */
  readonly afterComplete?: (result: BackfillResult) => Promise<void>;
}

export interface BackfillResult extends Progress {
  readonly resumed: ResumeInfo | undefined;
  readonly request: ResolvedRequest;
  readonly window: Window;
  /** The record written for the next `since: last-run` run, if this is one. */
  readonly recorded?: RunRecord;
}

/** Where listing continues: after `token` (of the request continued at `cursor`, if set). */
interface Plan {
  readonly token: string | undefined;
  readonly cursor: Cursor | undefined;
}

/** A plan that continues the checkpoint's backfill by time from the end of its output, and says so. */
async function byTime(
  at: { readonly bytes: number; readonly tokenReceivedAt: string },
  deps: BackfillDeps,
  why: Pick<ContinueInfo, "reason" | "detail" | "ageMs" | "regions">,
): Promise<Plan> {
  const cursor = await deps.sink.tail(at.bytes);
  deps.reporter.continued({
    ...why,
    location: deps.store.location,
    tokenReceivedAt: at.tokenReceivedAt,
    ...(cursor && { cursor }),
  });
  return { token: undefined, cursor };
}

/** Where a checkpoint's output ends and when its token came: where a continuation by time starts. */
const endOf = (checkpoint: Checkpoint) => ({
  bytes: checkpoint.output.bytes,
  tokenReceivedAt: checkpoint.timestamp,
});

/** The active region moved away from the one the backfill lists in (see BackfillDeps.regions). */
class RegionChanged extends Error {
  override name = "RegionChanged";
  readonly region: string;

  constructor(region: string) {
    super(`The active AWS Health region is now ${region}.`);
    this.region = region;
  }
}

interface Start {
  readonly request: ResolvedRequest;
  readonly window: Window;
  readonly checkpoint: Checkpoint | undefined;
  /** The old checkpoint and partial output are replaced when the first page arrives (restart, set aside). */
  readonly replaces: boolean;
  /** How listing starts: the checkpoint's token (and cursor), or by time, or from the first page. */
  readonly plan: Plan;
  readonly resumed: ResumeInfo | undefined;
  readonly startedAt: string;
}

/**
 * Refuses a checkpoint that must not be used, before any API call; deletes nothing. An expired one is
 * continued by time (`expired: continue`), set aside (a `since: last-run` query whose front door allows
 * it), or refused.
 */
function checkUsable(
  checkpoint: Checkpoint,
  print: string,
  options: BackfillOptions,
  deps: BackfillDeps,
): { readonly verdict: "resume" | "expired" | "set-aside"; readonly ageMs: number } {
  const where = deps.store.location;
  // A checkpoint of release 0.1.0's default region (us-east-1) continues under region auto.
  const sameRegion = { ...options.query, region: checkpoint.request.region };
  if (
    checkpoint.fingerprint !== print &&
    (options.query.region !== AUTO_REGION || checkpoint.fingerprint !== fingerprint(sameRegion))
  ) {
    throw new CheckpointRefusedError(
      "other-query",
      `The checkpoint ${where} belongs to a different query (scope, region, since, until, filter, page size, details, locale or simulate differ).`,
    );
  }
  if (!deps.sink.isSameAs(checkpoint.output.path)) {
    throw new CheckpointRefusedError(
      "other-output",
      `The checkpoint ${where} belongs to the output ${checkpoint.output.path}, not to ${deps.sink.location}.`,
    );
  }
  const age = deps.clock() - Date.parse(checkpoint.timestamp);
  if (age <= options.maxCheckpointAgeMs) return { verdict: "resume", ageMs: age };
  if (options.expired === "continue") return { verdict: "expired", ageMs: age };
  if (options.query.since === LAST_RUN && options.expiredLastRun === "start-again") {
    deps.reporter.setAside({
      location: where,
      ageMs: age,
      tokenReceivedAt: checkpoint.timestamp,
      pages: checkpoint.pages,
      events: checkpoint.processedCount,
      output: deps.sink.location,
    });
    return { verdict: "set-aside", ageMs: age };
  }
  throw new CheckpointRefusedError(
    "expired",
    `The checkpoint ${where} is ${describeDuration(age)} old (its token was received at ${checkpoint.timestamp}); ` +
      `the limit is ${describeDuration(options.maxCheckpointAgeMs)} and AWS pagination tokens expire after 24 hours, so it cannot be resumed.`,
  );
}

/** A new backfill: its window (from the record for `since: last-run`), pinned at AWS's now. */
async function fresh(options: BackfillOptions, deps: BackfillDeps, replaces: boolean): Promise<Start> {
  const { query } = options;
  const found = query.since === LAST_RUN ? await loadRecord(deps.records) : undefined;
  const now = (deps.awsClock ?? deps.clock)();
  const { from, until, basis } = resolveWindow(query, options.lastRun, { found, now, run: options.run });
  const request = {
    ...resolveRequest(query, { from, until }),
    region: deps.regions?.start ?? query.region,
  };
  const window = { ...windowOf(request), to: new Date(until).toISOString(), basis };
  deps.reporter.window(window);
  const startedAt = new Date(now).toISOString();
  const plan = { token: undefined, cursor: undefined };
  return { request, window, checkpoint: undefined, replaces, plan, resumed: undefined, startedAt };
}

/** Where the backfill starts. Reads and checks; changes no file. */
async function begin(options: BackfillOptions, print: string, deps: BackfillDeps): Promise<Start> {
  if (options.restart) deps.reporter.restarted(deps.store.location);
  const checkpoint = options.restart ? undefined : await deps.store.load();
  if (!checkpoint) return fresh(options, deps, options.restart);
  const usable = checkUsable(checkpoint, print, options, deps);
  if (usable.verdict === "set-aside") return fresh(options, deps, true);
  await deps.sink.verify(checkpoint.output.bytes, checkpoint.output.lastArn);
  const resumed: ResumeInfo = {
    page: checkpoint.pages + 1,
    events: checkpoint.processedCount,
    tokenReceivedAt: checkpoint.timestamp,
    startedAt: checkpoint.startedAt,
    location: deps.store.location,
  };
  deps.reporter.resumed(resumed);
  const pinned = windowOf(checkpoint.request);
  const window: Window = { ...pinned, to: pinned.to ?? checkpoint.startedAt, basis: { kind: "checkpoint" } };
  deps.reporter.window(window);
  const active = await deps.regions?.active?.();
  const moved = active !== undefined && active !== checkpoint.request.region;
  const regions = { from: checkpoint.request.region, to: active ?? checkpoint.request.region };
  const plan = moved
    ? await byTime(endOf(checkpoint), deps, { reason: "region-changed", regions })
    : usable.verdict === "expired"
      ? await byTime(endOf(checkpoint), deps, { reason: "expired", ageMs: usable.ageMs })
      : { token: checkpoint.nextToken, cursor: checkpoint.cursor };
  return {
    request: moved ? { ...checkpoint.request, region: regions.to } : checkpoint.request,
    window,
    checkpoint,
    replaces: false,
    plan,
    resumed,
    startedAt: checkpoint.startedAt,
  };
}

/** The record, nothing, or why it cannot be used (the run then starts from `first-since` and says so). */
async function loadRecord(
  records: RunRecordStore | undefined,
): Promise<RunRecord | undefined | RecordUnreadableError> {
  try {
    return await records?.load();
  } catch (error) {
    if (error instanceof RecordUnreadableError) return error;
    throw error;
  }
}

/**
 * Touches the files when the first page is ready, not before: a run that fails earlier (preflight,
 * credentials, a refused token) leaves the output and checkpoint as they were. A restart removes the
 * old checkpoint before it empties the output, so the two never disagree.
 */
async function openOutput(start: Start, deps: BackfillDeps): Promise<void> {
  if (start.replaces) await deps.store.clear();
  await deps.sink.open(start.checkpoint?.output.bytes);
}

/**
 * The backfill: page by page, each page appended to the output and made durable, then the checkpoint
 * written. The checkpoint is removed when the last page is written.
 */
export async function backfill(options: BackfillOptions, deps: BackfillDeps): Promise<BackfillResult> {
  const t0 = deps.clock();
  const print = fingerprint(options.query);
  const start = await begin(options, print, deps);
  const resumedFrom = start.checkpoint;
  let events = resumedFrom?.processedCount ?? 0;
  let pages = resumedFrom?.pages ?? 0;
  // Verify before continuing: the next resume checks that the output's last line is this event.
  let lastArn = resumedFrom?.output.lastArn;
  // What the last checkpoint written records: the facts behind "progress is saved".
  let saved: Saved = { pages, events, location: deps.store.location };
  let listed = false;
  const base = events;
  const meter = new CoverageMeter(start.window, t0, start.resumed !== undefined);
  let coverage: Coverage | undefined;
  const progress = (): Progress => ({
    events,
    pages,
    elapsedMs: deps.clock() - t0,
    newEvents: events - base,
    ...(coverage === undefined ? {} : { coverage }),
  });
  // The output is opened when the first bytes of the first page are ready (a wide page is written in
  // parts ahead of its end), not before.
  const opened = async () => {
    if (!listed) await openOutput(start, deps);
    listed = true;
  };
  try {
    await deps.source.preflight(start.request, deps.signal);
    let plan = start.plan;
    let request = start.request;
    // Where the last checkpoint left the output, and when its token came: a continuation starts there.
    let end = resumedFrom ? endOf(resumedFrom) : { bytes: 0, tokenReceivedAt: start.startedAt };
    const writePages = async () => {
      const feed = pagePipeline({
        source: plan.cursor ? skippingWritten(deps.source, plan.cursor) : deps.source,
        encode: (records) => deps.sink.encode(records),
        write: async (part) => {
          await opened();
          return deps.sink.append(part, true);
        },
        request: plan.cursor ? continuation(request, plan.cursor) : request,
        firstToken: plan.token,
        clock: deps.clock,
        signal: deps.signal,
        maxEmptyPages: 100,
      });
      for await (const page of feed) {
        await opened();
        const bytes = await deps.sink.append(page.encoded);
        lastArn = deps.sink.lastArnOf(page.encoded) ?? lastArn;
        events += page.count;
        pages += 1;
        if (page.nextToken !== undefined) {
          await deps.store.save({
            version: CHECKPOINT_VERSION,
            fingerprint: print,
            nextToken: page.nextToken,
            processedCount: events,
            pages,
            timestamp: new Date(page.receivedAt).toISOString(),
            startedAt: start.startedAt,
            request,
            output: { path: deps.sink.location, bytes, ...(lastArn === undefined ? {} : { lastArn }) },
            ...(plan.cursor && { cursor: plan.cursor }),
          });
          saved = { pages, events, location: deps.store.location };
          end = { bytes, tokenReceivedAt: new Date(page.receivedAt).toISOString() };
        }
        if (page.reached !== undefined) coverage = meter.page(page.reached, deps.clock());
        deps.reporter.page(progress());
        // After the checkpoint, before the next page is asked for: nothing of it is written yet.
        const active = page.nextToken === undefined ? undefined : await deps.regions?.active?.();
        if (active !== undefined && active !== request.region) throw new RegionChanged(active);
      }
    };
    for (;;) {
      try {
        await writePages();
        break;
      } catch (error) {
        if (error instanceof RegionChanged) {
          const regions = { from: request.region, to: error.region };
          plan = await byTime(end, deps, { reason: "region-changed", regions });
          request = { ...request, region: error.region };
          continue;
        }
        // The API refused the resumed checkpoint's token (expired, another region): continue by time.
        if (!(error instanceof InvalidTokenError) || !resumedFrom || listed || plan.token === undefined)
          throw error;
        plan = await byTime(end, deps, {
          reason: "token-refused",
          detail: errorMessage(error),
        });
      }
    }
    await deps.sink.close();
    await deps.store.clear();
  } catch (error) {
    await deps.sink.close().catch(() => {});
    throw explain(error, { checkpoint: resumedFrom, saved, listed }, deps);
  }
  coverage = { covered: 1, reached: coverage?.reached ?? start.window.from ?? start.window.to, leftMs: 0 };
  const result = { ...progress(), resumed: start.resumed, request: start.request, window: start.window };
  return finish(result, options, deps);
}

/**
 * After the last page: the front door's step (a merge), then the record that moves the next
 * `since: last-run` window forward. In that order, so a failure or kill in between leaves the record
 * behind and the next run covers this window again, rather than leaving a gap in an archive.
 */
async function finish(
  result: BackfillResult,
  options: BackfillOptions,
  deps: BackfillDeps,
): Promise<BackfillResult> {
  const notAdvanced = deps.records
    ? "; the last-run record was not advanced, so the next run backs up this window again"
    : "";
  const complete = `The backfill itself is complete (${result.events} events in ${deps.sink.location})${notAdvanced}.`;
  try {
    await deps.afterComplete?.(result);
  } catch (error) {
    throw new FinishFailedError(`${sentence(errorMessage(error))} ${complete}`, classOf(error), {
      cause: error,
    });
  }
  if (!deps.records) return result;
  const { identity } = deps.records;
  const adoptedFrom = recordOf(result.window.basis)?.adoptedFrom;
  const record: RunRecord = {
    version: RECORD_VERSION,
    id: identityId(identity),
    identity,
    ...(result.window.from === undefined ? {} : { from: result.window.from }),
    until: result.window.to,
    completedAt: new Date(deps.clock()).toISOString(),
    events: result.events,
    pages: result.pages,
    ...(options.run === undefined ? {} : { run: options.run }),
    ...(adoptedFrom === undefined ? {} : { adoptedFrom }),
  };
  try {
    await deps.records.save(record);
  } catch (error) {
    throw new FinishFailedError(
      `Could not write the last-run record ${deps.records.location}: ${sentence(errorMessage(error))} ${complete}`,
      classOf(error),
      { cause: error },
    );
  }
  return { ...result, recorded: record };
}

interface Stopped {
  readonly checkpoint: Checkpoint | undefined;
  readonly saved: Saved;
  /** Whether any page of this run arrived. */
  readonly listed: boolean;
}

/** States what happened, with its class and what is saved; the front door says what to do. */
function explain(error: unknown, at: Stopped, deps: BackfillDeps): unknown {
  if (error instanceof CheckpointRefusedError) return error;
  const { saved, checkpoint } = at;
  if (deps.signal.aborted) {
    const where =
      saved.pages > 0
        ? `after page ${saved.pages}; progress is saved in ${saved.location}`
        : "before the first page was saved";
    return new InterruptedError(`Interrupted ${where}.`, saved.pages > 0 ? saved : undefined);
  }
  if (error instanceof InvalidTokenError && checkpoint && !at.listed) {
    return new CheckpointRefusedError(
      "token-refused",
      `The API refused the pagination token of the checkpoint ${saved.location} (received ${checkpoint.timestamp}): ${sentence(error.message)} The checkpoint and the output were left as they are.`,
      { cause: error },
    );
  }
  let failureClass = classOf(error);
  // A refused connection is setup before anything came from that endpoint, transient afterwards.
  if (error instanceof EndpointUnreachableError && (at.listed || checkpoint)) failureClass = "transient";
  return new BackfillFailedError(sentence(errorMessage(error)), failureClass, saved, { cause: error });
}
