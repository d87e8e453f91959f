import * as core from "@actions/core";
import { errorMessage } from "../errors.ts";
import { FileCheckpointStore } from "../local/checkpoint-file.ts";
import { actionsCache, type CacheApi } from "./cache/api.ts";
import { entryFiles } from "./cache/entry.ts";
import { routeCacheOutput } from "./cache/log.ts";
import { readManifest, uploadCheckpoint } from "./cache/uploads.ts";
import { STATE } from "./state.ts";

/**
 * Uploads the newest local checkpoint, with the output bytes the cache does not hold yet, when the
 * main step stored less (it was killed after the runner's SIGTERM grace, or crashed).
 */
async function saveRemainder(cache: CacheApi | undefined): Promise<void> {
  if (core.getState(STATE.finished) === "true") return core.info("The main step saved its own progress.");
  const [path, output, dir, key] = [STATE.checkpoint, STATE.output, STATE.entryDir, STATE.postKey].map(
    (name) => core.getState(name),
  );
  const checkpoint = path ? await new FileCheckpointStore(path).load() : undefined;
  if (!output || !dir || !key || checkpoint === undefined) return core.info("No checkpoint to save.");
  const files = entryFiles(dir);
  const chain = await readManifest(files);
  if (checkpoint.pages <= chain.pages) {
    return core.info(`The Actions cache already holds the newest checkpoint (page ${checkpoint.pages}).`);
  }
  if (!cache) {
    return core.warning(
      "The Actions cache service is not available: the checkpoint cannot be saved for a re-run.",
    );
  }
  const result = await uploadCheckpoint(checkpoint, chain, key, { cache, files, output });
  if (result.stored)
    core.info(`Saved the checkpoint of page ${checkpoint.pages} to the Actions cache as ${key}.`);
  else
    core.warning(
      `The Actions cache did not store the checkpoint of page ${checkpoint.pages}: ${result.reason}`,
    );
}

/** What the post step takes from outside the process; tests pass their own. */
export interface PostDeps {
  /** The Actions cache; undefined where the runner offers none. */
  readonly cache: CacheApi | undefined;
}

/** The post step (`post-if: always()`). */
export async function run(deps: PostDeps = { cache: actionsCache() }): Promise<void> {
  const unroute = routeCacheOutput();
  try {
    await saveRemainder(deps.cache);
  } catch (error) {
    core.warning(`Could not save the last checkpoint: ${errorMessage(error)}`);
  } finally {
    unroute();
  }
}
