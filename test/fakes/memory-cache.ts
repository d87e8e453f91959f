import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { CacheApi, RestoreResult, SaveResult } from "../../src/action/cache/api.ts";

interface Stored {
  readonly key: string;
  readonly paths: string;
  files: Map<string, Buffer>;
}

/**
 * An in-memory stand-in for the Actions cache, for unit tests of the store and the restore and for
 * in-process tests of the action's steps: a save copies the files at once (as tar does when the call
 * starts), then waits for `gate`; a restore writes them back. Matching is GitHub's: same path list,
 * exact key, else the newest entry with the prefix. End-to-end tests use the real @actions/cache
 * against the fake service instead.
 */
export class MemoryCache implements CacheApi {
  readonly entries: Stored[] = [];
  readonly saves: string[] = [];
  readonly restores: string[] = [];
  /** Saves wait for this before they finish. */
  gate: Promise<void> = Promise.resolve();
  /** Saves refused from now on with this reason. */
  refuse: string | undefined;
  /** Saves that started and have not finished. */
  inFlight = 0;
  maxInFlight = 0;

  async save(paths: readonly string[], key: string): Promise<SaveResult> {
    this.saves.push(key);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const files = new Map<string, Buffer>();
      for (const path of paths) files.set(path, await readFile(path));
      await this.gate;
      if (this.refuse) return { stored: false, reason: this.refuse };
      this.entries.push({ key, paths: paths.join("\n"), files });
      return { stored: true, archiveBytes: [...files.values()].reduce((n, b) => n + b.length, 0) };
    } finally {
      this.inFlight -= 1;
    }
  }

  async restore(
    paths: readonly string[],
    key: string,
    options?: { lookupOnly?: boolean },
  ): Promise<RestoreResult> {
    this.restores.push(key);
    const same = this.entries.filter((e) => e.paths === paths.join("\n"));
    const entry = same.find((e) => e.key === key) ?? same.findLast((e) => e.key.startsWith(key));
    if (!entry) return {};
    if (!options?.lookupOnly) {
      for (const [path, bytes] of entry.files) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, bytes);
      }
    }
    return { key: entry.key };
  }

  /** The files of the entry with this key. */
  files(key: string): Map<string, Buffer> {
    const entry = this.entries.find((e) => e.key === key);
    if (!entry) throw new Error(`no entry ${key}`);
    return entry.files;
  }
}
