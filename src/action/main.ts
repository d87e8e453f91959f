import * as core from "@actions/core";
import { coverageText, resumeLine, seconds, stoppedText } from "../cli/progress.ts";
import { DEFAULT_OUTPUT } from "../config/config.ts";
import { INPUT } from "../config/names.ts";
import { connect } from "../connect.ts";
import { type BackfillResult, backfill, type Progress, type Reporter } from "../engine/backfill.ts";
import { describeBasis, isWarning, type Window } from "../engine/record.ts";
import { fingerprint } from "../engine/request.ts";
import { errorMessage, FinishFailedError, InterruptedError, sentence } from "../errors.ts";
import { type LocalFiles, openLocalFiles } from "../files.ts";
import { type MergeResult, mergeStep } from "../sinks/archive.ts";
import { CacheSyncedStore } from "../stores/cache-store.ts";
import { type CacheProgress, whatToDo } from "./advice.ts";
import { actionsCache, type CacheApi } from "./cache.ts";
import { reportDelta } from "./delta-summary.ts";
import { readRunContext } from "./env.ts";
import { type ActionConfig, readActionConfig } from "./inputs.ts";
import { cacheKeys } from "./keys.ts";
import { openRecordStore } from "./record.ts";
import { STATE } from "./state.ts";
import { failureSummary, successSummary } from "./summary.ts";

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
      `page ${p.pages}: ${p.events} events · ${seconds(p.elapsedMs)}${covered ? ` · ${covered}` : ""}`,
    );
  };
}

const NO_CACHE: CacheApi = {
  available: () => false,
  restore: async () => undefined,
  save: async () => false,
};

/** The checkpoint store: the local file, mirrored to the Actions cache when the service is there. */
function openStore(a: ActionConfig, files: LocalFiles, cacheOn: boolean): CacheSyncedStore {
  const { config } = a;
  const keys = cacheKeys(a.checkpointKey, readRunContext(), fingerprint(config.query));
  const paths = [config.checkpoint, config.output];
  core.saveState(STATE.paths, JSON.stringify(paths));
  core.saveState(STATE.postKey, keys.post);
  return new CacheSyncedStore(files.store, {
    cache: cacheOn ? actionsCache(core.warning) : NO_CACHE,
    keys,
    paths,
    intervalMs: a.cacheSaveIntervalMs,
    clock: Date.now,
    warn: core.warning,
  });
}

async function restore(
  store: CacheSyncedStore,
  a: ActionConfig,
  cacheOn: boolean,
): Promise<string | undefined> {
  if (!cacheOn || a.config.restart) return undefined;
  const restored = await store.restore();
  if (restored.key) {
    core.info(
      restored.completed
        ? `The newest cache entry of this run (${restored.key}) marks a completed backfill: starting fresh.`
        : `Restored checkpoint and partial output from the Actions cache: ${restored.key}`,
    );
  }
  return restored.key;
}

interface Outcome {
  readonly result?: BackfillResult;
  readonly store?: CacheSyncedStore;
  /** Pages the newest checkpoint in the cache records (restored or uploaded). */
  readonly cachedPages: number;
  readonly cacheOn: boolean;
}

async function backfillWithCache(
  a: ActionConfig,
  signal: AbortSignal,
  reporter: ActionReporter,
  onCache: (on: boolean) => void,
): Promise<Outcome> {
  const { config } = a;
  const files = await openLocalFiles(config, { onStale: core.info });
  try {
    const cacheOn = actionsCache(core.warning).available();
    onCache(cacheOn);
    if (!cacheOn) {
      core.warning(
        "The Actions cache service is not available: this attempt is protected by its local checkpoint only, and a re-run would start from the first page.",
      );
    }
    const store = openStore(a, files, cacheOn);
    const restoredKey = await restore(store, a, cacheOn);
    const restoredPages = cacheOn ? ((await files.store.load().catch(() => undefined))?.pages ?? 0) : 0;
    const connection = await connect(config, signal);
    try {
      core.info(`Backfilling AWS Health events from ${connection.description} into ${config.output}`);
      let merged: { result: MergeResult; archive: string } | undefined;
      const records = files.records && openRecordStore(files.records, { ...a, query: config.query, cacheOn });
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
      if (cacheOn) await store.markComplete(result.events, result.pages);
      core.info(
        `✓ Complete: ${result.events} events in ${result.pages} pages, ${seconds(result.elapsedMs)}. Output: ${config.output}`,
      );
      const delta = await reportDelta(result, {
        output: config.output,
        merged,
        recordKey: records?.savedKey,
      });
      const context = { source: connection.description, output: config.output, restoredKey };
      await core.summary
        .addRaw(successSummary(result, { ...context, uploads: store.uploads, lastKey: store.lastKey }))
        .addRaw(delta)
        .write();
      return { result, store, cachedPages: 0, cacheOn };
    } catch (error) {
      // Failure and cancellation always save, whatever the interval.
      if (cacheOn) await store.flush();
      throw new StepFailure(error, {
        store,
        cachedPages: store.lastUploaded?.pages ?? restoredPages,
        cacheOn,
      });
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
  const cache: CacheProgress = { available: outcome.cacheOn, pages: outcome.cachedPages };
  const advice = whatToDo(error, cache);
  // A failure after completion (the merge) is no stop: the window was covered.
  const stopped = error instanceof FinishFailedError ? undefined : stoppedText(last);
  if (stopped) core.info(stopped);
  core.setFailed(`${sentence(errorMessage(error))} ${advice}`);
  if (core.isDebug() && error instanceof Error) core.debug(error.stack ?? "");
  const saved = { lastKey: outcome.store?.lastKey, uploads: outcome.store?.uploads ?? 0 };
  await core.summary
    .addRaw(failureSummary(sentence(errorMessage(error)), advice, saved))
    .addRaw(stopped ? `\n\n${stopped}\n` : "")
    .write()
    .catch(() => {});
}

function setOutputs(output: string, outcome: Outcome, reporter: ActionReporter): void {
  const { result, store } = outcome;
  const last = reporter.last;
  const window = result?.window ?? reporter.windowed;
  core.setOutput("window-from", window?.from ?? "");
  core.setOutput("window-to", window?.to ?? "");
  core.setOutput("events", String(result?.events ?? last?.events ?? 0));
  core.setOutput("pages", String(result?.pages ?? last?.pages ?? 0));
  core.setOutput("output", output);
  core.setOutput("resumed", String(result?.resumed !== undefined));
  core.setOutput("checkpoint-key", store?.lastKey ?? "");
}

/** The action's main step. */
export async function run(): Promise<void> {
  // The path is known even when another input is invalid, so later steps can still find the file.
  const output = core.getInput(INPUT.output).trim() || DEFAULT_OUTPUT;
  const controller = new AbortController();
  let cacheOn = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // SIGTERM follows SIGINT 7.5 s later: keep saving
    const saving = cacheOn ? "saving progress to the Actions cache" : "stopping after the page in progress";
    core.info(`${signal}: cancelling; ${saving}.`);
    controller.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reporter = new ActionReporter();
  let outcome: Outcome = { cachedPages: 0, cacheOn: false };
  try {
    const a = readActionConfig((name) => core.getInput(name), Date.now());
    outcome = await backfillWithCache(a, controller.signal, reporter, (on) => {
      cacheOn = on;
    });
  } catch (thrown) {
    const failure = thrown instanceof StepFailure ? thrown : undefined;
    outcome = failure?.outcome ?? { cachedPages: 0, cacheOn };
    await fail(failure ? failure.error : thrown, outcome, reporter.last);
  } finally {
    setOutputs(output, outcome, reporter);
    core.saveState(STATE.finished, "true");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
