import * as cache from "@actions/cache";
import { errorMessage } from "../../errors.ts";
import { describeCacheFailure } from "./failure.ts";
import { CacheOutput, quietly } from "./log.ts";

export interface SaveResult {
  readonly stored: boolean;
  /** Size of the compressed archive sent, when the library said. */
  readonly archiveBytes?: number | undefined;
  /** Why it was not stored, said plainly (see failure.ts). */
  readonly reason?: string | undefined;
}

export interface RestoreResult {
  /** The key restored (or found, with `lookupOnly`); undefined on a miss or a failure. */
  readonly key?: string | undefined;
  readonly archiveBytes?: number | undefined;
  /** Why a restore failed, said plainly; undefined on a plain miss. */
  readonly reason?: string | undefined;
}

/**
 * The slice of @actions/cache the action uses, quiet (see log.ts) and never throwing: a cache
 * that fails is a warning for the caller to word. Unit and orchestration tests pass another; e2e tests
 * use this one. Where the runner offers no cache service there is none: the action's steps take a
 * `CacheApi | undefined`, and `undefined` is the one way they say "no cache".
 * Paths are passed exactly as given: the entry's version is a hash of these strings (https://github.com/actions/cache/blob/main/README.md#cache-version).
 */
export interface CacheApi {
  /** Exact key first, else the newest entry whose key starts with `key`. */
  restore(paths: readonly string[], key: string, options?: { lookupOnly?: boolean }): Promise<RestoreResult>;
  save(paths: readonly string[], key: string): Promise<SaveResult>;
}

/** "Cache Size: ~0 MB (1234 B)" on restore, the debug line "File Size: 1234" on save. */
const RESTORED_SIZE = /^Cache Size: ~\d+ MB \((\d+) B\)$/;
const SAVED_SIZE = /^::debug::File Size: (\d+)$/;

/** @actions/cache behind CacheApi, whether or not the runner offers the service. */
export const quietCache: CacheApi = {
  async restore(paths, key, options) {
    const output = new CacheOutput();
    try {
      const hit = await quietly(output, () =>
        cache.restoreCache([...paths], key, [], { lookupOnly: options?.lookupOnly === true }),
      );
      const reason = output.reason();
      return {
        key: hit,
        archiveBytes: output.number(RESTORED_SIZE),
        reason: reason === undefined ? undefined : describeCacheFailure(output.lines, reason),
      };
    } catch (error) {
      return { reason: errorMessage(error) };
    }
  },
  async save(paths, key) {
    const output = new CacheOutput();
    try {
      // -1 means "not saved" (read-only token, rate limit, conflict, service error); the library
      // says why, often as a plain info line (https://github.com/actions/toolkit/tree/main/packages/cache).
      const id = await quietly(output, () => cache.saveCache([...paths], key));
      return {
        stored: id !== -1,
        archiveBytes: output.number(SAVED_SIZE),
        reason:
          id === -1
            ? describeCacheFailure(output.lines, output.reason() ?? "the cache service did not say why")
            : undefined,
      };
    } catch (error) {
      return { stored: false, reason: errorMessage(error) };
    }
  },
};

/** The Actions cache of this job, or undefined when the runner offers no cache service. */
export function actionsCache(): CacheApi | undefined {
  return cache.isFeatureAvailable() ? quietCache : undefined;
}
