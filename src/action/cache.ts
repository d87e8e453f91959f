import * as cache from "@actions/cache";
import { errorMessage } from "../errors.ts";

/** The slice of @actions/cache the action uses; tests may pass another, e2e tests use the real one. */
export interface CacheApi {
  available(): boolean;
  /** The matched key, or undefined on a miss. Failures are warnings, never fatal. */
  restore(paths: string[], primaryKey: string): Promise<string | undefined>;
  /** True when the entry was stored. */
  save(paths: string[], key: string): Promise<boolean>;
}

export type Warn = (message: string) => void;

export function actionsCache(warn: Warn): CacheApi {
  return {
    available: () => cache.isFeatureAvailable(),
    async restore(paths, primaryKey) {
      try {
        return await cache.restoreCache(paths, primaryKey);
      } catch (error) {
        warn(`Could not restore the checkpoint from the Actions cache: ${errorMessage(error)}`);
        return undefined;
      }
    },
    async save(paths, key) {
      try {
        // -1 means "not saved" (read-only token, rate limit, conflict, service error); the library
        // logged why, often as a plain info line, so say it where it is seen.
        if ((await cache.saveCache(paths, key)) !== -1) return true;
        warn(
          `The Actions cache did not store ${key} (see the line above for why); the next save tries again.`,
        );
        return false;
      } catch (error) {
        warn(`Could not save the checkpoint to the Actions cache: ${errorMessage(error)}`);
        return false;
      }
    },
  };
}
