import * as core from "@actions/core";
import type { BackfillResult } from "../../engine/backfill.ts";
import { size } from "../../format.ts";
import type { FileCheckpointStore } from "../../local/checkpoint-file.ts";
import type { ActionConfig } from "../inputs.ts";
import { STATE } from "../state.ts";
import type { StepIdentity } from "../step.ts";
import type { CacheApi } from "./api.ts";
import { type Cleanup, deleteEntries } from "./cleanup.ts";
import { type EntryFiles, entryDir, entryFiles } from "./entry.ts";
import { CacheWarnings } from "./failure.ts";
import { type CacheKeys, cacheKeys, earlierReleaseRun } from "./keys.ts";
import { type Restored, restoreProgress, setAsideEarlierRun } from "./restore.ts";
import { type CacheLog, CacheSyncedStore } from "./store.ts";

const LOG: CacheLog = { info: core.info, warning: core.warning, debug: core.debug };

function describeRestore(restored: Restored): string {
  switch (restored.kind) {
    case "checkpoint":
      return `Restored the checkpoint of page ${restored.chain.pages} and its ${restored.chain.count} segments (${size(restored.chain.bytes)} of output) from the Actions cache: ${restored.key}`;
    case "earlier-release":
      return `Restored a checkpoint that release 0.1.0 saved (checkpoint and whole output in one entry): ${restored.key}. This attempt continues it; its own uploads hold only new output.`;
    case "complete":
      return `The newest cache entry of this run (${restored.key}) marks a completed backfill: starting fresh.`;
    case "unusable":
      return `The newest checkpoint of this run in the Actions cache (${restored.key}, page ${restored.pages}) cannot be used: ${restored.why}. Starting from the first page.`;
    case "failed":
      return `Could not restore the checkpoint of this run from the Actions cache (${restored.reason}): starting from the first page.`;
    default:
      return restored.firstAttempt
        ? "First attempt of this run: nothing to restore from the Actions cache."
        : "No checkpoint of this run in the Actions cache: starting from the first page.";
  }
}

/**
 * The Actions cache side of one backfill: the store that mirrors the local checkpoint into the cache,
 * the restore of an earlier attempt's progress, and the completion with its cleanup.
 */
export class CacheSide {
  readonly api: CacheApi;
  readonly store: CacheSyncedStore;
  /** Every cache call of this step warns through it: once per kind of failure. */
  readonly warnings = new CacheWarnings(LOG);
  readonly #keys: CacheKeys;
  readonly #files: EntryFiles;
  readonly #local: FileCheckpointStore;
  readonly #action: ActionConfig;
  readonly #step: StepIdentity;

  constructor(api: CacheApi, action: ActionConfig, local: FileCheckpointStore, step: StepIdentity) {
    const { config } = action;
    this.api = api;
    this.#keys = cacheKeys(step.checkpointKey, step.ctx, step.leg, step.fingerprint);
    this.#files = entryFiles(entryDir(step.ctx.runnerTemp, this.#keys.run));
    this.#local = local;
    this.#action = action;
    this.#step = step;
    this.store = new CacheSyncedStore(local, {
      cache: api,
      keys: this.#keys,
      files: this.#files,
      output: config.output,
      intervalMs: action.cacheSaveIntervalMs,
      clock: Date.now,
      log: LOG,
      warnings: this.warnings,
    });
  }

  /** What the post step needs to upload a checkpoint this step did not (see post.ts). */
  handToPostStep(): void {
    core.saveState(STATE.checkpoint, this.#action.config.checkpoint);
    core.saveState(STATE.output, this.#action.config.output);
    core.saveState(STATE.entryDir, this.#files.dir);
    core.saveState(STATE.postKey, this.#keys.post);
  }

  /** A re-run continues the newest checkpoint of its run and leg; returns the key restored, if any. */
  async restore(): Promise<string | undefined> {
    const { config } = this.#action;
    if (config.restart) return undefined;
    const restored = await restoreProgress({
      cache: this.api,
      keys: this.#keys,
      files: this.#files,
      local: this.#local,
      output: config.output,
      attempt: this.#step.ctx.attempt,
      earlier: {
        run: earlierReleaseRun(this.#step.checkpointKey, this.#step.ctx, this.#step.releasedFingerprint),
        paths: [config.checkpoint, config.output],
        matrixLeg: this.#step.matrixLeg,
      },
    });
    if (restored.kind === "failed") this.warnings.tell(restored.reason, describeRestore(restored));
    else (restored.kind === "unusable" ? core.warning : core.info)(describeRestore(restored));
    if (restored.kind === "checkpoint") await this.store.adopt(restored.chain);
    if (restored.kind === "checkpoint" || restored.kind === "earlier-release") return restored.key;
    await setAsideEarlierRun(config.checkpoint, core.warning);
    return undefined;
  }

  /** After the last page: the completion marker, then this backfill's entries deleted if the token may. */
  async finish(result: BackfillResult): Promise<Cleanup> {
    const marker = await this.store.complete(result.events, result.pages);
    const cleanup = await deleteEntries({
      apiUrl: this.#step.ctx.apiUrl,
      repository: this.#step.ctx.repository,
      token: this.#action.githubToken,
      prefix: this.#keys.run,
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
}

/**
 * The cache side of this step's backfill, or undefined without an Actions cache (then only the local
 * checkpoint protects the attempt). Opened once the local files are locked: from then on the post step
 * may upload what this step leaves behind.
 */
export function openCacheSide(
  api: CacheApi | undefined,
  action: ActionConfig,
  local: FileCheckpointStore,
  step: StepIdentity,
): CacheSide | undefined {
  if (!api) {
    core.warning(
      "The Actions cache service is not available: this attempt is protected by its local checkpoint only, and a re-run would start from the first page.",
    );
    return undefined;
  }
  const side = new CacheSide(api, action, local, step);
  side.handToPostStep();
  return side;
}
