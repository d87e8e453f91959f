import * as core from "@actions/core";
import { resumeLine, seconds } from "../cli/progress.ts";
import { connect } from "../connect.ts";
import { type BackfillResult, backfill, type Progress, type Reporter } from "../engine/backfill.ts";
import { fingerprint } from "../engine/request.ts";
import { errorMessage, exitCodeOf, InterruptedError } from "../errors.ts";
import { NdjsonFileSink } from "../sinks/ndjson-sink.ts";
import { CacheSyncedStore } from "../stores/cache-store.ts";
import { FileCheckpointStore } from "../stores/file-store.ts";
import { actionsCache, type CacheApi } from "./cache.ts";
import { readRunContext } from "./env.ts";
import { type ActionConfig, readActionConfig } from "./inputs.ts";
import { cacheKeys } from "./keys.ts";
import { STATE } from "./state.ts";
import { failureSummary, successSummary } from "./summary.ts";

const reporter: Reporter = {
  resumed: (info) => core.info(`↻ ${resumeLine(info, Date.now())}`),
  restarted: (location) =>
    core.info(`Discarded the checkpoint ${location} (restart); starting from the first page.`),
  page: (p: Progress) => core.info(`page ${p.pages}: ${p.events} events · ${seconds(p.elapsedMs)}`),
};

const NO_CACHE: CacheApi = {
  available: () => false,
  restore: async () => undefined,
  save: async () => false,
};

function whatToDo(code: number): string {
  switch (code) {
    case 2:
      return "fix the input named above. A re-run cannot change inputs: start a new workflow run.";
    case 3:
      return "this checkpoint cannot be continued. Start a new workflow run (not a re-run) to back up from the first page, or set `restart: true`.";
    case 130:
      return 'the job was cancelled after saving progress. Press "Re-run failed jobs" to continue from the last saved page.';
    default:
      return 'progress is saved. Press "Re-run failed jobs" to continue from the last saved page (within `max-checkpoint-age`).';
  }
}

/** What the attempt got to, for the outputs and the summary whatever happens. */
interface Attempt {
  store?: CacheSyncedStore;
  result?: BackfillResult;
  keyPrefix?: string;
}

function setOutputs(attempt: Attempt, output: string): void {
  const { store, result } = attempt;
  core.setOutput("events", String(result?.events ?? store?.lastUploaded?.processedCount ?? 0));
  core.setOutput("pages", String(result?.pages ?? store?.lastUploaded?.pages ?? 0));
  core.setOutput("output", output);
  core.setOutput("resumed", String(result?.resumed !== undefined));
  core.setOutput("checkpoint-key", store?.lastKey ?? attempt.keyPrefix ?? "");
}

/** The checkpoint store: the local file, mirrored to the Actions cache when the service is there. */
function openStore(a: ActionConfig, attempt: Attempt): { store: CacheSyncedStore; cacheOn: boolean } {
  const { config } = a;
  const keys = cacheKeys(a.checkpointKey, readRunContext(), fingerprint(config.query));
  const paths = [config.checkpoint, config.output];
  attempt.keyPrefix = keys.run;
  core.saveState(STATE.paths, JSON.stringify(paths));
  core.saveState(STATE.postKey, keys.post);
  const cache = actionsCache(core.warning);
  const cacheOn = cache.available();
  if (!cacheOn) {
    core.warning(
      "The Actions cache service is not available: this attempt is protected by its local checkpoint only, and a re-run would start from the first page.",
    );
  }
  const store = new CacheSyncedStore(new FileCheckpointStore(config.checkpoint), {
    cache: cacheOn ? cache : NO_CACHE,
    keys,
    paths,
    intervalMs: a.cacheSaveIntervalMs,
    clock: Date.now,
    warn: core.warning,
  });
  attempt.store = store;
  return { store, cacheOn };
}

async function backfillWithCache(a: ActionConfig, signal: AbortSignal, attempt: Attempt): Promise<void> {
  const { config } = a;
  const { store, cacheOn } = openStore(a, attempt);
  const restored = cacheOn && !config.restart ? await store.restore() : { completed: false };
  if (restored.key) {
    core.info(
      restored.completed
        ? `The newest cache entry of this run (${restored.key}) marks a completed backfill: starting fresh.`
        : `Restored checkpoint and partial output from the Actions cache: ${restored.key}`,
    );
  }
  const connection = await connect(config, signal);
  try {
    core.info(`Backfilling AWS Health events from ${connection.description} into ${config.output}`);
    const sink = new NdjsonFileSink(config.output);
    const result = await backfill(config, {
      source: connection.source,
      sink,
      store,
      clock: Date.now,
      reporter,
      signal,
    });
    attempt.result = result;
    if (cacheOn) await store.markComplete(result.events, result.pages);
    core.info(
      `✓ Complete: ${result.events} events in ${result.pages} pages, ${seconds(result.elapsedMs)}. Output: ${config.output}`,
    );
    const context = { source: connection.description, output: config.output, restoredKey: restored.key };
    await core.summary
      .addRaw(successSummary(result, { ...context, uploads: store.uploads, lastKey: store.lastKey }))
      .write();
  } catch (error) {
    // Failure and cancellation always save, whatever the interval.
    if (cacheOn) await store.flush();
    throw error;
  } finally {
    await connection.close();
  }
}

async function fail(error: unknown, attempt: Attempt): Promise<void> {
  const code = exitCodeOf(error);
  core.setFailed(`${errorMessage(error)}${code === 130 ? " Re-run the failed job to continue." : ""}`);
  if (core.isDebug() && error instanceof Error) core.debug(error.stack ?? "");
  const saved = { lastKey: attempt.store?.lastKey, uploads: attempt.store?.uploads ?? 0 };
  await core.summary
    .addRaw(failureSummary(errorMessage(error), whatToDo(code), saved))
    .write()
    .catch(() => {});
}

/** The action's main step. */
export async function run(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // SIGTERM follows SIGINT 7.5 s later: keep saving
    core.info(`${signal}: cancelling; saving progress to the Actions cache.`);
    controller.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const attempt: Attempt = {};
  let output = "";
  try {
    const a = readActionConfig((name) => core.getInput(name), Date.now());
    output = a.config.output;
    await backfillWithCache(a, controller.signal, attempt);
  } catch (error) {
    await fail(error, attempt);
  } finally {
    setOutputs(attempt, output);
    core.saveState(STATE.finished, "true");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
