import { existsSync } from "node:fs";
import * as core from "@actions/core";
import { errorMessage } from "../errors.ts";
import { actionsCache } from "./cache.ts";
import { STATE } from "./state.ts";

/**
 * The post step (`post-if: always()`): when the main step did not get to save (killed after the
 * runner's SIGTERM grace, or crashed), upload the last local checkpoint so a re-run can continue.
 */
export async function run(): Promise<void> {
  try {
    if (core.getState(STATE.finished) === "true") return core.info("The main step saved its own progress.");
    const key = core.getState(STATE.postKey);
    const paths = JSON.parse(core.getState(STATE.paths) || "[]") as string[];
    const checkpoint = paths[0];
    if (!key || !checkpoint || !existsSync(checkpoint)) return core.info("No checkpoint to save.");
    const cache = actionsCache(core.warning);
    if (!cache.available())
      return core.warning(
        "The Actions cache service is not available: the checkpoint cannot be saved for a re-run.",
      );
    if (await cache.save(paths, key)) core.info(`Saved the last checkpoint to the Actions cache as ${key}.`);
  } catch (error) {
    core.warning(`Could not save the last checkpoint: ${errorMessage(error)}`);
  }
}
