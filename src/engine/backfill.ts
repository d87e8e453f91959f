import type { Query } from "../config/config.ts";
import {
  BackfillFailedError,
  CheckpointRefusedError,
  classOf,
  EndpointUnreachableError,
  errorMessage,
  InterruptedError,
  type Saved,
  sentence,
} from "../errors.ts";
import type { OutputSink } from "../sinks/ndjson-sink.ts";
import { CHECKPOINT_VERSION, type Checkpoint, type CheckpointStore } from "./checkpoint.ts";
import { pagePipeline } from "./pipeline.ts";
import { fingerprint, type ResolvedRequest, resolveRequest } from "./request.ts";
import { type EventSource, InvalidTokenError } from "./source.ts";

export interface BackfillOptions {
  readonly query: Query;
  readonly maxCheckpointAgeMs: number;
  readonly restart: boolean;
}

export interface Progress {
  readonly events: number;
  readonly pages: number;
  readonly elapsedMs: number;
  /** Events and pages written by this attempt (excludes what a resumed checkpoint already had). */
  readonly newEvents: number;
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
  page(progress: Progress): void;
}

export interface BackfillDeps {
  readonly source: EventSource;
  readonly sink: OutputSink;
  readonly store: CheckpointStore;
  readonly clock: () => number;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
}

export interface BackfillResult extends Progress {
  readonly resumed: ResumeInfo | undefined;
  readonly request: ResolvedRequest;
}

interface Start {
  readonly request: ResolvedRequest;
  readonly checkpoint: Checkpoint | undefined;
  readonly resumed: ResumeInfo | undefined;
  readonly startedAt: string;
}

/** A duration the way a person reads it: 45 seconds, 12 minutes, 25.3 hours. */
export function describeDuration(ms: number): string {
  const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (ms < 120_000) return count(Math.round(ms / 1000), "second");
  if (ms < 7_200_000) return count(Math.round(ms / 60_000), "minute");
  return `${(ms / 3_600_000).toFixed(1)} hours`;
}

/** Refuses a checkpoint that must not be used, before any API call; deletes nothing. */
function checkUsable(cp: Checkpoint, print: string, options: BackfillOptions, deps: BackfillDeps): void {
  const where = deps.store.location;
  if (cp.fingerprint !== print) {
    throw new CheckpointRefusedError(
      "other-query",
      `The checkpoint ${where} belongs to a different query (scope, region, since, until, filter, page size, details, locale or simulate differ).`,
    );
  }
  if (!deps.sink.isSameAs(cp.output.path)) {
    throw new CheckpointRefusedError(
      "other-output",
      `The checkpoint ${where} belongs to the output ${cp.output.path}, not to ${deps.sink.location}.`,
    );
  }
  const age = deps.clock() - Date.parse(cp.timestamp);
  if (age > options.maxCheckpointAgeMs) {
    throw new CheckpointRefusedError(
      "expired",
      `The checkpoint ${where} is ${describeDuration(age)} old (its token was received at ${cp.timestamp}); ` +
        `the limit is ${describeDuration(options.maxCheckpointAgeMs)} and AWS pagination tokens expire after 24 hours, so it cannot be resumed.`,
    );
  }
}

/** Where the backfill starts. Reads and checks; changes no file. */
async function begin(options: BackfillOptions, print: string, deps: BackfillDeps): Promise<Start> {
  if (options.restart) deps.reporter.restarted(deps.store.location);
  const checkpoint = options.restart ? undefined : await deps.store.load();
  const now = deps.clock();
  if (!checkpoint) {
    const request = resolveRequest(options.query, now);
    return { request, checkpoint, resumed: undefined, startedAt: new Date(now).toISOString() };
  }
  checkUsable(checkpoint, print, options, deps);
  await deps.sink.verify(checkpoint.output.bytes, checkpoint.output.lastArn);
  const resumed: ResumeInfo = {
    page: checkpoint.pages + 1,
    events: checkpoint.processedCount,
    tokenReceivedAt: checkpoint.timestamp,
    startedAt: checkpoint.startedAt,
    location: deps.store.location,
  };
  deps.reporter.resumed(resumed);
  return { request: checkpoint.request, checkpoint, resumed, startedAt: checkpoint.startedAt };
}

/**
 * Touches the files when the first page is ready, not before: a run that fails earlier (preflight,
 * credentials, a refused token) leaves the output and checkpoint as they were. A restart removes the
 * old checkpoint before it empties the output, so the two never disagree.
 */
async function openOutput(start: Start, options: BackfillOptions, deps: BackfillDeps): Promise<void> {
  if (options.restart) await deps.store.clear();
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
  const cp = start.checkpoint;
  let events = cp?.processedCount ?? 0;
  let pages = cp?.pages ?? 0;
  // Verify before continuing: the next resume checks that the output's last line is this event.
  let lastArn = cp?.output.lastArn;
  // What the last checkpoint written records: the facts behind "progress is saved".
  let saved: Saved = { pages, events, location: deps.store.location };
  let listed = false;
  const base = events;
  const progress = (): Progress => ({
    events,
    pages,
    elapsedMs: deps.clock() - t0,
    newEvents: events - base,
  });
  try {
    await deps.source.preflight(start.request, deps.signal);
    const feed = pagePipeline({
      source: deps.source,
      encode: (records) => deps.sink.encode(records),
      request: start.request,
      firstToken: cp?.nextToken,
      depth: start.request.details === "none" ? 4 : 8,
      clock: deps.clock,
      signal: deps.signal,
      maxEmptyPages: 100,
    });
    for await (const page of feed) {
      if (!listed) await openOutput(start, options, deps);
      listed = true;
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
          request: start.request,
          output: { path: deps.sink.location, bytes, ...(lastArn === undefined ? {} : { lastArn }) },
        });
        saved = { pages, events, location: deps.store.location };
      }
      deps.reporter.page(progress());
    }
    await deps.sink.close();
    await deps.store.clear();
  } catch (error) {
    await deps.sink.close().catch(() => {});
    throw explain(error, { checkpoint: cp, saved, listed }, deps);
  }
  return { ...progress(), resumed: start.resumed, request: start.request };
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
