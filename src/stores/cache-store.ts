import { readFile, rename } from "node:fs/promises";
import type { CacheApi } from "../action/cache.ts";
import type { CacheKeys } from "../action/keys.ts";
import type { Checkpoint, CheckpointStore } from "../engine/checkpoint.ts";
import { isMissing, removeFile, writeFileAtomic } from "../util/fs.ts";
import type { FileCheckpointStore } from "./file-store.ts";

/** What a restore found. */
export interface Restored {
  /** The cache key restored, if any. */
  readonly key?: string;
  /** The newest entry of this run marks a completed backfill: this attempt starts fresh. */
  readonly completed: boolean;
}

/** Written in place of the checkpoint when a backfill completes, so a later attempt starts fresh. */
interface CompletionMarker {
  readonly complete: true;
  readonly completedAt: string;
  readonly events: number;
  readonly pages: number;
}

export interface CacheStoreOptions {
  readonly cache: CacheApi;
  readonly keys: CacheKeys;
  /** Checkpoint and output, in the same order and spelling for every save and restore. */
  readonly paths: string[];
  /** Least time between two uploads; failure and cancellation flush regardless. */
  readonly intervalMs: number;
  readonly clock: () => number;
  readonly warn: (message: string) => void;
}

/**
 * The local checkpoint file, copied with the partial output into the Actions cache so a re-run on a
 * fresh runner continues. Uploads happen inside `save`, between pages, so the archived output is never
 * shorter than the archived checkpoint records. A failed upload is a warning: the local checkpoint
 * still protects this attempt.
 */
export class CacheSyncedStore implements CheckpointStore {
  readonly location: string;
  readonly #local: FileCheckpointStore;
  readonly #o: CacheStoreOptions;
  #sequence = 0;
  #lastUpload = Number.NEGATIVE_INFINITY;
  #pending: Checkpoint | undefined;
  uploads = 0;
  failedUploads = 0;
  lastKey: string | undefined;
  lastUploaded: Checkpoint | undefined;

  constructor(local: FileCheckpointStore, o: CacheStoreOptions) {
    this.#local = local;
    this.#o = o;
    this.location = local.location;
  }

  load(): Promise<Checkpoint | undefined> {
    return this.#local.load();
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await this.#local.save(checkpoint);
    this.#pending = checkpoint;
    if (this.#o.clock() - this.#lastUpload >= this.#o.intervalMs) await this.flush();
  }

  async clear(): Promise<void> {
    this.#pending = undefined;
    await this.#local.clear();
  }

  /**
   * Fetches the newest entry of this run. A checkpoint left in the workspace by an earlier run (a
   * self-hosted runner keeps its workspace) is set aside, not used: a new workflow run starts fresh.
   */
  async restore(): Promise<Restored> {
    const path = this.#local.location;
    const key = await this.#o.cache.restore(this.#o.paths, this.#o.keys.run);
    if (!key) {
      await rename(path, `${path}.earlier-run`).then(
        () =>
          this.#o.warn(
            `Set aside ${path} from an earlier run as ${path}.earlier-run: a new workflow run starts fresh.`,
          ),
        (error: unknown) => {
          if (!isMissing(error)) throw error;
        },
      );
      return { completed: false };
    }
    const text = await readFile(path, "utf8").catch(() => "");
    const completed = isMarker(text);
    if (completed) await removeFile(path);
    return { key, completed };
  }

  /** Replaces the cache's newest entry of this run with a completion marker. */
  async markComplete(events: number, pages: number): Promise<boolean> {
    const path = this.#local.location;
    const marker: CompletionMarker = {
      complete: true,
      completedAt: new Date(this.#o.clock()).toISOString(),
      events,
      pages,
    };
    await writeFileAtomic(path, `${JSON.stringify(marker, null, 2)}\n`);
    try {
      return await this.#uploadNext();
    } finally {
      await removeFile(path);
    }
  }

  /** Uploads the newest local checkpoint if it is not in the cache yet. */
  async flush(): Promise<void> {
    const checkpoint = this.#pending;
    if (!checkpoint) return;
    if (await this.#uploadNext()) {
      this.#pending = undefined;
      this.lastUploaded = checkpoint;
    }
  }

  /** Saves checkpoint and output under the next key of this attempt; true when stored. */
  async #uploadNext(): Promise<boolean> {
    const key = this.#o.keys.save(++this.#sequence);
    this.#lastUpload = this.#o.clock();
    const stored = await this.#o.cache.save(this.#o.paths, key);
    if (stored) {
      this.uploads += 1;
      this.lastKey = key;
    } else {
      this.failedUploads += 1;
    }
    return stored;
  }
}

function isMarker(text: string): boolean {
  try {
    return (JSON.parse(text) as Partial<CompletionMarker> | null)?.complete === true;
  } catch {
    return false;
  }
}
