import type { Checkpoint, CheckpointStore } from "../../engine/checkpoint.ts";
import { kB } from "../../format.ts";
import type { FileCheckpointStore } from "../../local/checkpoint-file.ts";
import type { CacheApi } from "./api.ts";
import { type Chain, EMPTY_CHAIN, type EntryFiles } from "./entry.ts";
import { CacheWarnings } from "./failure.ts";
import type { CacheKeys } from "./keys.ts";
import { LatestOnlyQueue } from "./uploader.ts";
import { type Uploaded, uploadCheckpoint, uploadMarker, writeManifest } from "./uploads.ts";

export interface CacheLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export interface CacheStoreOptions {
  readonly cache: CacheApi;
  readonly keys: CacheKeys;
  readonly files: EntryFiles;
  /** The output file the checkpoints describe. */
  readonly output: string;
  /** Least time between two uploads; failure, cancellation and completion upload regardless. */
  readonly intervalMs: number;
  readonly clock: () => number;
  readonly log: CacheLog;
  /** Shared with the step's other cache calls, so each kind of failure warns once; else the store's own. */
  readonly warnings?: CacheWarnings;
}

/** What this attempt put into the cache, for the log, the summary and the outputs. */
export interface UploadStats {
  /** Entries stored (checkpoints and the completion marker). */
  uploads: number;
  failed: number;
  /** Compressed bytes sent, as the library reported them. */
  archiveBytes: number;
  /** Output bytes in the segments stored. */
  outputBytes: number;
  lastKey: string | undefined;
}

/**
 * The local checkpoint file, mirrored into the Actions cache as an append-only log so a re-run on a
 * fresh runner continues: each upload is the checkpoint plus the output bytes written since the
 * previous stored upload (see entry.ts). Uploads run beside the backfill, one at a time, the newest
 * checkpoint replacing one still waiting, so the backfill never waits for the cache. A failed upload
 * is a warning: the local checkpoint still protects this attempt, and the next upload covers the
 * bytes this one would have.
 */
export class CacheSyncedStore implements CheckpointStore {
  readonly location: string;
  readonly stats: UploadStats = {
    uploads: 0,
    failed: 0,
    archiveBytes: 0,
    outputBytes: 0,
    lastKey: undefined,
  };
  readonly #local: FileCheckpointStore;
  readonly #o: CacheStoreOptions;
  readonly #queue = new LatestOnlyQueue<Checkpoint>((checkpoint) => this.#upload(checkpoint));
  /** What the cache holds of this backfill. */
  #chain: Chain = EMPTY_CHAIN;
  /** The newest checkpoint saved locally and not handed to the queue yet. */
  #latest: Checkpoint | undefined;
  #queuedAt = Number.NEGATIVE_INFINITY;
  #sequence = 0;
  readonly #warnings: CacheWarnings;

  constructor(local: FileCheckpointStore, o: CacheStoreOptions) {
    this.#local = local;
    this.#o = o;
    this.#warnings = o.warnings ?? new CacheWarnings(o.log);
    this.location = local.location;
  }

  /** Pages recorded by the newest checkpoint the cache holds (restored or uploaded). */
  get cachedPages(): number {
    return this.#chain.pages;
  }

  load(): Promise<Checkpoint | undefined> {
    return this.#local.load();
  }

  /** Saves locally (the engine waits for that), then hands the checkpoint to the uploads when due. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await this.#local.save(checkpoint);
    this.#latest = checkpoint;
    if (this.#o.clock() - this.#queuedAt >= this.#o.intervalMs) this.#enqueue();
  }

  async clear(): Promise<void> {
    this.#latest = undefined;
    this.#queue.drop();
    await this.#local.clear();
  }

  /** Continues the chain a restore found, so the next upload adds only what this attempt writes. */
  async adopt(chain: Chain): Promise<void> {
    this.#chain = chain;
    await writeManifest(this.#o.files, chain);
  }

  /**
   * Uploads the newest checkpoint if the cache does not hold it yet, and waits for every upload. A
   * checkpoint whose upload fails meanwhile gets one more try.
   */
  async flush(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      this.#enqueue();
      await this.#queue.idle();
      if (!this.#latest) return;
    }
  }

  /**
   * After the last page: waits for the upload in flight, then stores the completion marker as the
   * newest entry, so a later attempt of this run starts fresh. Returns its key when stored.
   */
  async complete(events: number, pages: number): Promise<string | undefined> {
    this.#latest = undefined;
    this.#queue.drop();
    await this.#queue.idle();
    const key = this.#o.keys.upload(++this.#sequence);
    const marker = { completedAt: new Date(this.#o.clock()).toISOString(), events, pages };
    const result = await uploadMarker(marker, key, this.#deps());
    this.#count(result, key);
    if (!result.stored) {
      this.#warnings.tell(
        result.reason ?? "",
        `The Actions cache did not store the mark of a complete backfill (${result.reason}): a re-run of this run would back up again.`,
      );
    }
    return result.stored ? key : undefined;
  }

  #enqueue(): void {
    const checkpoint = this.#latest;
    if (!checkpoint || checkpoint.pages <= this.#chain.pages) return;
    this.#latest = undefined;
    this.#queuedAt = this.#o.clock();
    this.#queue.push(checkpoint);
  }

  #deps() {
    return { cache: this.#o.cache, files: this.#o.files, output: this.#o.output };
  }

  async #upload(checkpoint: Checkpoint): Promise<void> {
    const key = this.#o.keys.upload(++this.#sequence);
    const result = await uploadCheckpoint(checkpoint, this.#chain, key, this.#deps());
    this.#count(result, key);
    if (result.stored) {
      this.#chain = result.chain;
      const sent = result.archiveBytes === undefined ? "" : `, ${kB(result.archiveBytes)} sent`;
      this.#o.log.info(
        `Cached page ${checkpoint.pages}: ${kB(result.segmentBytes)} of new output${sent} (${key})`,
      );
      return;
    }
    // Not stored: the next upload covers these bytes too; keep the checkpoint for a final flush.
    this.#latest ??= checkpoint;
    const message = `The Actions cache did not store page ${checkpoint.pages} (${result.reason}); the next upload tries again.`;
    // One warning per kind of failure: a rate limit at every page would flood the log.
    this.#warnings.tell(result.reason ?? "", message, "debug");
  }

  #count(result: Uploaded, key: string): void {
    if (!result.stored) {
      this.stats.failed += 1;
      return;
    }
    this.stats.uploads += 1;
    this.stats.archiveBytes += result.archiveBytes ?? 0;
    this.stats.outputBytes += result.segmentBytes;
    this.stats.lastKey = key;
  }
}
