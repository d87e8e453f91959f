import {
  CheckpointRefusedError,
  classOf,
  FinishFailedError,
  InterruptedError,
  LockedError,
  type RefusalReason,
} from "../errors.ts";
import type { CacheRefusalReason } from "./cache/restore.ts";

/** What the cache holds for a re-run of this attempt; undefined where there is no Actions cache. */
export interface CacheProgress {
  /** Pages recorded by the newest checkpoint stored in the cache by this attempt or an earlier one. */
  readonly pages: number;
}

const NEW_RUN =
  "Start a new workflow run (not a re-run) to back up from the first page, or set `restart: true`.";

const REFUSED: Record<RefusalReason | CacheRefusalReason, string> = {
  unreadable: `The checkpoint restored from the cache cannot be read. ${NEW_RUN}`,
  "other-query": `The inputs differ from the ones that wrote the checkpoint. ${NEW_RUN}`,
  "other-output": `Set \`output\` back to the path the checkpoint names, or: ${NEW_RUN}`,
  expired: NEW_RUN,
  "output-short": NEW_RUN,
  "output-changed": NEW_RUN,
  "token-refused": NEW_RUN,
  "ambiguous-leg": NEW_RUN,
};

function rerun(cache: CacheProgress | undefined): string {
  if (!cache) return "The Actions cache is not available, so a re-run starts from the first page.";
  if (cache.pages === 0)
    return "No page was saved to the Actions cache, so a re-run starts from the first page.";
  return `Press "Re-run failed jobs" to continue from page ${cache.pages + 1} (within \`max-checkpoint-age\`).`;
}

/** The remedy for an Action user: no flags, only what a workflow and the Actions UI offer. */
export function whatToDo(error: unknown, cache: CacheProgress | undefined): string {
  if (error instanceof CheckpointRefusedError)
    return `Nothing was deleted. ${REFUSED[error.reason as RefusalReason | CacheRefusalReason]}`;
  if (error instanceof LockedError) {
    return "Another backfill on this runner writes the same files: give each step its own `output`.";
  }
  if (error instanceof InterruptedError) return `The job was cancelled. ${rerun(cache)}`;
  if (error instanceof FinishFailedError) {
    const fix = classOf(error) === "input" ? "Fix the archive where the workflow gets it from; then t" : "T";
    return `${fix}he next run backs up this window again and merges it.`;
  }
  switch (classOf(error)) {
    case "input":
      return "Fix the input in the workflow and start a new workflow run: a re-run keeps the inputs of its run.";
    case "setup": {
      const after = cache && cache.pages > 0 ? ` Once that is done, ${rerun(cache)}` : "";
      return `Grant or enable what the message names: until then every run fails the same way.${after}`;
    }
    default:
      return cache && cache.pages > 0
        ? rerun(cache)
        : `Press "Re-run failed jobs" to try again. ${rerun(cache)}`;
  }
}
