import * as core from "@actions/core";
import { DEFAULT_OUTPUT } from "../config/config.ts";
import { INPUT } from "../config/names.ts";
import { connect } from "../connect.ts";
import { type BackfillResult, backfill, type Progress, type Reporter } from "../engine/backfill.ts";
import type { CheckpointStore } from "../engine/checkpoint.ts";
import { describeBasis, isWarning, type Window } from "../engine/record.ts";
import { fingerprint } from "../engine/request.ts";
import { errorMessage, FinishFailedError, InterruptedError, sentence } from "../errors.ts";
import { type LocalFiles, openLocalFiles } from "../files.ts";
import { count, coverageText, resumeLine, seconds, stoppedText } from "../format.ts";
import { type MergeResult, mergeStep } from "../sinks/archive.ts";
import { keepYoungGenerationSmall } from "../util/heap.ts";
import { whatToDo } from "./advice.ts";
import { actionsCache, type CacheApi } from "./cache.ts";
import { routeCacheOutput } from "./cache-log.ts";
import { type CacheLog, CacheSyncedStore } from "./cache-store.ts";
import { type Cleanup, deleteEntries } from "./cleanup.ts";
import { reportDelta } from "./delta-summary.ts";
import { type EntryFiles, entryDir, entryFiles } from "./entry.ts";
import { type RunContext, readRunContext } from "./env.ts";
import { type ActionConfig, readActionConfig } from "./inputs.ts";
import { type CacheKeys, cacheKeys, earlierReleaseRun, isMatrixLeg, legPart } from "./keys.ts";
import { openRecordStore } from "./record.ts";
import { type Restored, restoreProgress, setAsideEarlierRun } from "./restore.ts";
import { STATE } from "./state.ts";
import { failureSummary, size, successSummary } from "./summary.ts";

/** Logs progress and remembers the last page saved, for the outputs of a step that fails. */
class ActionReporter implements Reporter {
  last: Progress | undefined;
  windowed: Window | undefined;

  resumed: Reporter["resumed"] = (info) => core.info(`↻ ${resumeLine(info, Date.now())}`);
  restarted: Reporter["restarted"] = (location) =>
    core.info(`Restart: the checkpoint ${location} is discarded when the first page arrives.`);
  window = (w: Window) => {
    this.windowed = w;
    (isWarning(w) ? core.warning : core.info)(describeBasis(w, Date.now()));
  };
  page = (p: Progress) => {
    this.last = p;
    const covered = coverageText(p);
    core.info(
      `page ${p.pages}: ${count(p.events, "event")} · ${seconds(p.elapsedMs)}${covered ? ` · ${covered}` : ""}`,
    );
  };
}

const LOG: CacheLog = { info: core.info, warning: core.warning, debug: core.debug };

/** The Actions cache side of one backfill; undefined when the service is not there. */
interface CacheSide {
  readonly api: CacheApi;
  readonly store: CacheSyncedStore;
  readonly keys: CacheKeys;
  readonly files: EntryFiles;
}

function openCache(
  api: CacheApi | undefined,
  a: ActionConfig,
  files: LocalFiles,
  ctx: RunContext,
): CacheSide | undefined {
  if (!api) {
    core.warning(
      "The Actions cache service is not available: this attempt is protected by its local checkpoint only, and a re-run would start from the first page.",
    );
    return undefined;
  }
  const { config } = a;
  const keys = cacheKeys(a.checkpointKey, ctx, legPart(a.matrix), fingerprint(config.query));
  const dir = entryDir(ctx.runnerTemp, keys.run);
  core.saveState(STATE.checkpoint, config.checkpoint);
  core.saveState(STATE.output, config.output);
  core.saveState(STATE.entryDir, dir);
  core.saveState(STATE.postKey, keys.post);
  const entry = entryFiles(dir);
  const store = new CacheSyncedStore(files.store, {
    cache: api,
    keys,
    files: entry,
    output: config.output,
    intervalMs: a.cacheSaveIntervalMs,
    clock: Date.now,
    log: LOG,
  });
  return { api, store, keys, files: entry };
}

function describeRestore(r: Restored): string {
  switch (r.kind) {
    case "checkpoint":
      return `Restored the checkpoint of page ${r.chain.pages} and its ${r.chain.count} segments (${size(r.chain.bytes)} of output) from the Actions cache: ${r.key}`;
    case "earlier-release":
      return `Restored a checkpoint that release 0.1.0 saved (checkpoint and whole output in one entry): ${r.key}. This attempt continues it; its own uploads hold only new output.`;
    case "complete":
      return `The newest cache entry of this run (${r.key}) marks a completed backfill: starting fresh.`;
    case "unusable":
      return `The newest checkpoint of this run in the Actions cache (${r.key}, page ${r.pages}) cannot be used: ${r.why}. Starting from the first page.`;
    case "failed":
      return `Could not restore the checkpoint of this run from the Actions cache (${r.reason}): starting from the first page.`;
    default:
      return r.firstAttempt
        ? "First attempt of this run: nothing to restore from the Actions cache."
        : "No checkpoint of this run in the Actions cache: starting from the first page.";
  }
}

/** A re-run continues the newest checkpoint of its run and leg; returns the key restored, if any. */
async function restore(
  a: ActionConfig,
  cache: CacheSide,
  files: LocalFiles,
  ctx: RunContext,
): Promise<string | undefined> {
  if (a.config.restart) return undefined;
  const restored = await restoreProgress({
    cache: cache.api,
    keys: cache.keys,
    files: cache.files,
    local: files.store,
    output: a.config.output,
    attempt: ctx.attempt,
    earlier: {
      run: earlierReleaseRun(a.checkpointKey, ctx, fingerprint(a.config.query)),
      paths: [a.config.checkpoint, a.config.output],
      matrixLeg: isMatrixLeg(a.matrix),
    },
  });
  const failed = restored.kind === "unusable" || restored.kind === "failed";
  (failed ? core.warning : core.info)(describeRestore(restored));
  if (restored.kind === "checkpoint") await cache.store.adopt(restored.chain);
  if (restored.kind === "checkpoint" || restored.kind === "earlier-release") return restored.key;
  await setAsideEarlierRun(a.config.checkpoint, core.warning);
  return undefined;
}

/** After the last page: the completion marker, then this backfill's entries deleted if the token may. */
async function finish(
  a: ActionConfig,
  cache: CacheSide,
  ctx: RunContext,
  r: BackfillResult,
): Promise<Cleanup> {
  const marker = await cache.store.complete(r.events, r.pages);
  const cleanup = await deleteEntries({
    apiUrl: ctx.apiUrl,
    repository: ctx.repository,
    token: a.githubToken,
    prefix: cache.keys.run,
    last: marker,
  });
  if (cleanup.kind === "deleted") {
    core.info(`Deleted the ${cleanup.entries} cache entries of this backfill (${size(cleanup.bytes)}).`);
  } else if (cleanup.kind === "not-permitted") {
    core.notice(
      `The cache entries of this backfill stay in the Actions cache until GitHub evicts them, 7 days after their last use (${cleanup.detail}). To delete them when a backfill completes, grant the job \`permissions: actions: write\`: the action deletes them with its \`github-token\` input, the job's token by default.`,
    );
  } else {
    core.warning(
      `Could not delete the cache entries of this backfill (${cleanup.detail}); GitHub evicts them 7 days after their last use.`,
    );
  }
  return cleanup;
}

interface Outcome {
  readonly result?: BackfillResult;
  readonly cache?: CacheSide | undefined;
}

async function backfillWithCache(
  a: ActionConfig,
  signal: AbortSignal,
  reporter: ActionReporter,
  onCache: (cache: CacheSide | undefined) => void,
): Promise<Outcome> {
  const { config } = a;
  const ctx = readRunContext();
  const files = await openLocalFiles(config, { onStale: core.info });
  try {
    const cache = openCache(actionsCache(), a, files, ctx);
    onCache(cache);
    const restoredKey = cache ? await restore(a, cache, files, ctx) : undefined;
    const store: CheckpointStore = cache?.store ?? files.store;
    const connection = await connect(config, signal);
    try {
      core.info(`Backfilling AWS Health events from ${connection.description} into ${config.output}`);
      let merged: { result: MergeResult; archive: string } | undefined;
      const records =
        files.records && openRecordStore(files.records, cache?.api, { ...a, query: config.query, ctx });
      const { archive } = files;
      const result = await backfill(config, {
        source: connection.source,
        sink: files.sink,
        store,
        clock: Date.now,
        reporter,
        signal,
        ...(records && { records }),
        ...(archive && {
          afterComplete: mergeStep(
            archive,
            config.output,
            (m) => (merged = { result: m, archive: archive.path }),
          ),
        }),
      });
      const cleanup = cache ? await finish(a, cache, ctx, result) : undefined;
      core.info(
        `✓ Complete: ${count(result.events, "event")} in ${count(result.pages, "page")}, ${seconds(result.elapsedMs)}. Output: ${config.output}`,
      );
      const delta = await reportDelta(result, {
        output: config.output,
        merged,
        recordKey: records?.savedKey,
      });
      const context = { source: connection.description, output: config.output, restoredKey, cleanup };
      await core.summary
        .addRaw(successSummary(result, { ...context, uploads: cache?.store.stats }))
        .addRaw(delta)
        .write();
      return { result, cache };
    } catch (error) {
      // Failure and cancellation always save, whatever the interval, and wait for the upload.
      await cache?.store.flush();
      throw new StepFailure(error, { cache });
    } finally {
      await connection.close();
    }
  } finally {
    await files.release();
  }
}

/** Carries what the step got to along with the error, to word the failure and set the outputs. */
class StepFailure {
  readonly error: unknown;
  readonly outcome: Outcome;

  constructor(error: unknown, outcome: Outcome) {
    this.error = error;
    this.outcome = outcome;
  }
}

async function fail(error: unknown, outcome: Outcome, last: Progress | undefined): Promise<void> {
  const advice = whatToDo(error, outcome.cache && { pages: outcome.cache.store.cachedPages });
  // A failure after completion (the merge) is no stop: the window was covered.
  const stopped = error instanceof FinishFailedError ? undefined : stoppedText(last);
  if (stopped) core.info(stopped);
  core.setFailed(`${sentence(errorMessage(error))} ${advice}`);
  if (core.isDebug() && error instanceof Error) core.debug(error.stack ?? "");
  await core.summary
    .addRaw(failureSummary(sentence(errorMessage(error)), advice, outcome.cache?.store.stats))
    .addRaw(stopped ? `\n\n${stopped}\n` : "")
    .write()
    .catch(() => {});
}

function setOutputs(output: string, outcome: Outcome, reporter: ActionReporter): void {
  const { result } = outcome;
  const last = reporter.last;
  const window = result?.window ?? reporter.windowed;
  core.setOutput("window-from", window?.from ?? "");
  core.setOutput("window-to", window?.to ?? "");
  core.setOutput("events", String(result?.events ?? last?.events ?? 0));
  core.setOutput("pages", String(result?.pages ?? last?.pages ?? 0));
  core.setOutput("output", output);
  core.setOutput("resumed", String(result?.resumed !== undefined));
  core.setOutput("checkpoint-key", outcome.cache?.store.stats.lastKey ?? "");
}

/** The action's main step. */
export async function run(): Promise<void> {
  keepYoungGenerationSmall();
  // The path is known even when another input is invalid, so later steps can still find the file.
  const output = core.getInput(INPUT.output).trim() || DEFAULT_OUTPUT;
  const controller = new AbortController();
  let cacheSide: CacheSide | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // SIGTERM follows SIGINT 7.5 s later: keep saving
    const saving = cacheSide ? "saving progress to the Actions cache" : "stopping after the page in progress";
    core.info(`${signal}: cancelling; ${saving}.`);
    controller.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const unroute = routeCacheOutput();
  const reporter = new ActionReporter();
  let outcome: Outcome = {};
  try {
    const a = readActionConfig((name) => core.getInput(name), Date.now());
    if (a.githubToken) core.setSecret(a.githubToken);
    outcome = await backfillWithCache(a, controller.signal, reporter, (cache) => {
      cacheSide = cache;
    });
  } catch (thrown) {
    const failure = thrown instanceof StepFailure ? thrown : undefined;
    outcome = failure?.outcome ?? { cache: cacheSide };
    await fail(failure ? failure.error : thrown, outcome, reporter.last);
  } finally {
    setOutputs(output, outcome, reporter);
    core.saveState(STATE.finished, "true");
    unroute();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
