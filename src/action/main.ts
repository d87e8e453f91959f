import * as core from "@actions/core";
import { DEFAULTS, INPUT } from "../config/names.ts";
import { cnameLookup, connect, identifyBackup } from "../connect.ts";
import type { BackfillResult, Progress } from "../engine/backfill.ts";
import type { BackupIdentity, RunRecordStore } from "../engine/record.ts";
import { errorMessage, FinishFailedError, InterruptedError, sentence } from "../errors.ts";
import { completeText, stoppedText, storedText } from "../format.ts";
import type { MergeResult } from "../local/archive.ts";
import { backfillInto, type LocalFiles, openLocalFiles } from "../local/files.ts";
import { openBackupStores, type S3Backup } from "../s3/backup.ts";
import { S3RecordStore } from "../s3/record-store.ts";
import { keepHeapSmall } from "../util/heap.ts";
import { whatToDo } from "./advice.ts";
import { actionsCache, type CacheApi } from "./cache/api.ts";
import type { Cleanup } from "./cache/cleanup.ts";
import { type CacheRecordStore, openRecordStore } from "./cache/last-run.ts";
import { routeCacheOutput } from "./cache/log.ts";
import { type CacheSide, openCacheSide } from "./cache/side.ts";
import { reportDelta } from "./delta-summary.ts";
import { readRunContext } from "./env.ts";
import { type ActionConfig, readActionConfig } from "./inputs.ts";
import { ActionReporter } from "./reporter.ts";
import { STATE } from "./state.ts";
import { type StepIdentity, stepIdentity } from "./step.ts";
import { failureSummary, successSummary } from "./summary.ts";

/** What the main step takes from outside the process; tests pass their own. */
export interface MainDeps {
  /** The Actions cache; undefined where the runner offers none. */
  readonly cache: CacheApi | undefined;
}

/** A backfill that completed, with what its report needs. */
interface Completed {
  readonly kind: "complete";
  readonly result: BackfillResult;
  readonly cache: CacheSide | undefined;
  readonly source: string;
  readonly output: string;
  readonly restoredKey: string | undefined;
  readonly cleanup: Cleanup | undefined;
  readonly merged: { readonly result: MergeResult; readonly archive: string } | undefined;
  /** Where the last-run record went, for the summary. */
  readonly recordWhere: string;
  /** What an S3 archive's commit stored besides the archive. */
  readonly stored: string | undefined;
}

/** A step that failed, with the cache side it had opened (undefined: none, or it failed before). */
interface Failed {
  readonly kind: "failed";
  readonly error: unknown;
  readonly cache: CacheSide | undefined;
}

type Ended = Completed | Failed;

/** Cancels on SIGINT and SIGTERM; `stop` removes the handlers. */
function cancelOnSignals(cache: CacheApi | undefined): { readonly signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const saving = cache ? "saving progress to the Actions cache" : "stopping after the page in progress";
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // SIGTERM follows SIGINT 7.5 s later: keep saving
    core.info(`${signal}: cancelling; ${saving}.`);
    controller.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    stop() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

function readInputs(): ActionConfig {
  const action = readActionConfig((name) => core.getInput(name), Date.now());
  if (action.githubToken) core.setSecret(action.githubToken);
  return action;
}

/**
 * With `since: last-run`, the record of this backup (the credentials' account, the workflow, the archive
 * or output): in S3 beside an S3 archive, otherwise carried through the Actions cache.
 */
async function lastRunRecords(
  action: ActionConfig,
  files: LocalFiles,
  identity: BackupIdentity,
  cache: CacheSide | undefined,
  step: StepIdentity,
): Promise<CacheRecordStore> {
  const { config } = action;
  return openRecordStore(await files.openRecords(identity), cache?.api, {
    step,
    output: config.output,
    warnings: cache?.warnings,
  });
}

/** Where a record went, as the summary says it. */
function recordWhere(records: RunRecordStore | undefined): string {
  if (records instanceof S3RecordStore) return `\`${records.location}\``;
  const key = (records as CacheRecordStore | undefined)?.savedKey;
  return key ? `the Actions cache as \`${key}\`` : "the workspace only";
}

/** Continues from the cache (if it holds progress), connects, backs up, and marks completion in the cache. */
async function backfillWith(
  action: ActionConfig,
  files: LocalFiles,
  cache: CacheSide | undefined,
  step: StepIdentity,
  signal: AbortSignal,
  reporter: ActionReporter,
): Promise<Completed> {
  const { config } = action;
  const restoredKey = await cache?.restore();
  const connection = await connect(config, signal, { lookup: cnameLookup(process.env) });
  let s3: S3Backup | undefined;
  try {
    core.info(`Backfilling AWS Health events from ${connection.description} into ${config.output}`);
    const place = { workflow: step.ctx.workflow, workspace: step.ctx.workspace };
    const stores = await openBackupStores(
      config,
      () => identifyBackup(config, connection, place, signal),
      (identity) => lastRunRecords(action, files, identity, cache, step),
      { signal, run: step.ctx.runId },
    );
    s3 = stores.s3;
    const { records } = stores;
    const { result, merged } = await backfillInto(config, files, {
      source: connection.source,
      reporter,
      signal,
      awsClock: connection.clock.now,
      regions: { start: connection.region, active: connection.activeRegion },
      run: step.ctx.runId,
      // A re-run continues a checkpoint of its own run: an expired one fails loudly, whatever the query.
      expiredLastRun: "refuse",
      ...(cache && { store: cache.store }),
      ...(records && { records }),
      ...(s3 && { afterComplete: s3.step }),
    });
    const cleanup = await cache?.finish(result);
    const committed = s3?.committed();
    return {
      kind: "complete",
      result,
      cache,
      source: connection.description,
      output: config.output,
      restoredKey,
      cleanup,
      merged: committed
        ? { result: committed.merged, archive: committed.archive }
        : merged && files.archive && { result: merged, archive: files.archive.path },
      recordWhere: recordWhere(records),
      stored: committed && storedText(committed),
    };
  } finally {
    await s3?.close();
    await connection.close();
  }
}

/** Reads the inputs, locks the files, opens the cache side and backs up: how it ended, never a throw. */
async function backfillStep(
  api: CacheApi | undefined,
  signal: AbortSignal,
  reporter: ActionReporter,
): Promise<Ended> {
  try {
    const action = readInputs();
    const files = await openLocalFiles(action.config, { onStale: core.info });
    try {
      const step = stepIdentity(action, readRunContext());
      const cache = openCacheSide(api, action, files.store, step);
      return await backfillWith(action, files, cache, step, signal, reporter).catch(
        async (error: unknown): Promise<Failed> => {
          // Failure and cancellation always save, whatever the interval, and wait for the upload.
          await cache?.store.flush();
          return { kind: "failed", error, cache };
        },
      );
    } finally {
      await files.release();
    }
  } catch (error) {
    return { kind: "failed", error, cache: undefined };
  }
}

async function reportComplete(ended: Completed): Promise<void> {
  const { result, output } = ended;
  core.info(completeText(result, output));
  const delta = await reportDelta(result, {
    output,
    merged: ended.merged,
    recordWhere: ended.recordWhere,
    stored: ended.stored,
  });
  const context = { source: ended.source, output, restoredKey: ended.restoredKey, cleanup: ended.cleanup };
  await core.summary
    .addRaw(successSummary(result, { ...context, uploads: ended.cache?.store.stats }))
    .addRaw(delta)
    .write();
}

async function reportFailure(failed: Failed, api: CacheApi | undefined, last: Progress | undefined) {
  const { error, cache } = failed;
  const advice = whatToDo(error, api && { pages: cache?.store.cachedPages ?? 0 });
  // A failure after completion (the merge) is no stop: the window was covered.
  const stopped = error instanceof FinishFailedError ? undefined : stoppedText(last);
  if (stopped) core.info(stopped);
  core.setFailed(`${sentence(errorMessage(error))} ${advice}`);
  if (core.isDebug() && error instanceof Error) core.debug(error.stack ?? "");
  await core.summary
    .addRaw(failureSummary(sentence(errorMessage(error)), advice, cache?.store.stats))
    .addRaw(stopped ? `\n\n${stopped}\n` : "")
    .write()
    .catch(() => {});
}

/** The log lines, the job summary and the exit code; a report of success that fails fails the step. */
async function report(ended: Ended, api: CacheApi | undefined, last: Progress | undefined): Promise<void> {
  if (ended.kind === "failed") return reportFailure(ended, api, last);
  await reportComplete(ended).catch((error: unknown) =>
    reportFailure({ kind: "failed", error, cache: ended.cache }, api, last),
  );
}

function setOutputs(output: string, ended: Ended, reporter: ActionReporter): void {
  const result = ended.kind === "complete" ? ended.result : undefined;
  const last = reporter.last;
  const window = result?.window ?? reporter.windowed;
  core.setOutput("window-from", window?.from ?? "");
  core.setOutput("window-to", window?.to ?? "");
  core.setOutput("events", String(result?.events ?? last?.events ?? 0));
  core.setOutput("pages", String(result?.pages ?? last?.pages ?? 0));
  core.setOutput("output", output);
  core.setOutput("resumed", String(result?.resumed !== undefined));
  core.setOutput("checkpoint-key", ended.cache?.store.stats.lastKey ?? "");
}

/** The action's main step. */
export async function run(deps: MainDeps = { cache: actionsCache() }): Promise<void> {
  keepHeapSmall();
  // The path is known even when another input is invalid, so later steps can still find the file.
  const output = core.getInput(INPUT.output).trim() || DEFAULTS.output;
  const cancel = cancelOnSignals(deps.cache);
  const unroute = routeCacheOutput();
  const reporter = new ActionReporter();
  try {
    const ended = await backfillStep(deps.cache, cancel.signal, reporter);
    await report(ended, deps.cache, reporter.last);
    setOutputs(output, ended, reporter);
  } finally {
    core.saveState(STATE.finished, "true");
    unroute();
    cancel.stop();
  }
}
