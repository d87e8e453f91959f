import type { Query } from "../config/config.ts";
import { BackfillFailedError, CheckpointRefusedError, errorMessage, InterruptedError } from "../errors.ts";
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

const START_OVER =
  "Start again from the first page with restart (--restart); in GitHub Actions start a new workflow run instead of a re-run.";

/** Refuses a checkpoint that must not be used, before any API call; deletes nothing. */
function checkUsable(cp: Checkpoint, print: string, o: BackfillOptions, deps: BackfillDeps): void {
  const where = deps.store.location;
  if (cp.fingerprint !== print) {
    throw new CheckpointRefusedError(
      `The checkpoint ${where} belongs to a different query (scope, region, since, until, filter, page size or details differ). ` +
        "Run with the original inputs to finish that backfill, or use restart (--restart) to discard it and start this one.",
    );
  }
  const age = deps.clock() - Date.parse(cp.timestamp);
  if (age > o.maxCheckpointAgeMs) {
    throw new CheckpointRefusedError(
      `The checkpoint ${where} is ${describeDuration(age)} old (its token was received at ${cp.timestamp}); ` +
        `the limit is ${describeDuration(o.maxCheckpointAgeMs)} and AWS pagination tokens expire after 24 hours, so it cannot be resumed. ` +
        START_OVER,
    );
  }
}

async function begin(o: BackfillOptions, print: string, deps: BackfillDeps): Promise<Start> {
  if (o.restart) {
    await deps.store.clear();
    deps.reporter.restarted(deps.store.location);
  }
  const checkpoint = o.restart ? undefined : await deps.store.load();
  const now = deps.clock();
  if (!checkpoint) {
    await deps.sink.open();
    const request = resolveRequest(o.query, now);
    return { request, checkpoint, resumed: undefined, startedAt: new Date(now).toISOString() };
  }
  checkUsable(checkpoint, print, o, deps);
  await deps.sink.open(checkpoint.output.bytes);
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
 * The backfill: page by page, each page appended to the output and made durable, then the checkpoint
 * written. The checkpoint is removed when the last page is written.
 */
export async function backfill(o: BackfillOptions, deps: BackfillDeps): Promise<BackfillResult> {
  const t0 = deps.clock();
  const print = fingerprint(o.query);
  const start = await begin(o, print, deps);
  const cp = start.checkpoint;
  let events = cp?.processedCount ?? 0;
  let pages = cp?.pages ?? 0;
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
      write: (part) => deps.sink.append(part),
      request: start.request,
      firstToken: cp?.nextToken,
      clock: deps.clock,
      signal: deps.signal,
      maxEmptyPages: 100,
    });
    for await (const page of feed) {
      const bytes = await deps.sink.append(page.encoded);
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
          output: { path: deps.sink.location, bytes },
        });
      }
      deps.reporter.page(progress());
    }
    await deps.sink.close();
    await deps.store.clear();
  } catch (error) {
    await deps.sink.close().catch(() => {});
    throw explain(error, cp, pages, deps);
  }
  return { ...progress(), resumed: start.resumed, request: start.request };
}

function explain(error: unknown, cp: Checkpoint | undefined, pages: number, deps: BackfillDeps): unknown {
  if (error instanceof CheckpointRefusedError) return error;
  if (deps.signal.aborted) {
    return new InterruptedError(
      `Interrupted after ${pages} pages; progress is saved in ${deps.store.location}.`,
    );
  }
  if (error instanceof InvalidTokenError && cp && pages === cp.pages) {
    return new CheckpointRefusedError(
      `The API refused the checkpoint's pagination token (received ${cp.timestamp}): ${error.message} ` +
        `The checkpoint ${deps.store.location} was left as it is. ${START_OVER}`,
    );
  }
  const saved =
    pages > 0 ? `progress is saved after page ${pages} in ${deps.store.location}` : "no page was saved yet";
  return new BackfillFailedError(
    `${errorMessage(error)} (${saved}; run the same command again to continue).`,
    {
      cause: error,
    },
  );
}
