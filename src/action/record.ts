import { existsSync } from "node:fs";
import * as core from "@actions/core";
import type { Query } from "../config/config.ts";
import type { RunRecord, RunRecordStore } from "../engine/record.ts";
import { fingerprint } from "../engine/request.ts";
import type { FileRecordStore } from "../stores/record-file.ts";
import type { CacheApi } from "./cache.ts";
import { CacheWarnings } from "./cache-failure.ts";
import type { RunContext } from "./env.ts";
import { keyPart, legPart } from "./keys.ts";

/**
 * Cache keys of the last-run record: its own, per job, matrix leg and query, not per run, so the next
 * scheduled run finds it. Keys are immutable: each completed backfill saves a new entry and a restore
 * asks for the newest under the prefix (https://github.com/actions/cache#cache-matching).
 *   <checkpoint-key>-last-run-<job>-<leg>-<query fingerprint>-<run id>-<attempt>-<completion time>
 * A checkpoint key is `<checkpoint-key>-<job>-...` with a job part that holds no "-", so the two
 * families never match each other's prefixes.
 */
export function recordKeys(
  prefix: string,
  ctx: RunContext,
  leg: string,
  fingerprint: string,
): { readonly prefix: string; save(at: number): string } {
  const base = `${keyPart(prefix)}-last-run-${keyPart(ctx.job, false)}-${leg}-${fingerprint}-`;
  return { prefix: base, save: (at) => `${base}${keyPart(ctx.runId)}-${ctx.attempt}-${at.toString(36)}` };
}

export interface CacheRecordOptions {
  /** Undefined without an Actions cache: the record stays in the workspace. */
  readonly cache: CacheApi | undefined;
  readonly keys: ReturnType<typeof recordKeys>;
  readonly clock: () => number;
  readonly log: (message: string) => void;
  /** A cache failure: `reason` says what happened (one warning per reason, see cache-failure.ts). */
  readonly warn: (reason: string, message: string) => void;
}

/**
 * The record file, carried from one workflow run to the next through the Actions cache: a hosted
 * runner starts with an empty workspace. A few hundred bytes per entry. A record left in the workspace
 * (a self-hosted runner keeps it) is used when the cache has none: it is a real complete run.
 */
export class CacheRecordStore implements RunRecordStore {
  readonly location: string;
  readonly #local: FileRecordStore;
  readonly #o: CacheRecordOptions;
  restoredKey: string | undefined;
  savedKey: string | undefined;

  constructor(local: FileRecordStore, o: CacheRecordOptions) {
    this.#local = local;
    this.#o = o;
    this.location = local.location;
  }

  async load(): Promise<RunRecord | undefined> {
    const { cache, keys, log } = this.#o;
    const restored = await cache?.restore([this.#local.location], keys.prefix);
    const key = restored?.key;
    if (restored?.reason) {
      const { reason } = restored;
      this.#o.warn(reason, `Could not restore the last-run record from the Actions cache (${reason}).`);
    }
    if (key) {
      this.restoredKey = key;
      log(`Restored the record of the last complete run from the Actions cache: ${key}`);
    } else if (existsSync(this.#local.location)) {
      log(`No record in the Actions cache; using the one in the workspace, ${this.#local.location}.`);
    } else if (cache) {
      log(`No record of a complete run in the Actions cache under ${keys.prefix}.`);
    }
    return this.#local.load();
  }

  async save(record: RunRecord): Promise<void> {
    await this.#local.save(record);
    const key = this.#o.keys.save(this.#o.clock());
    const saved = await this.#o.cache?.save([this.#local.location], key);
    if (saved?.stored) {
      this.savedKey = key;
      this.#o.log(`Saved the record of this run (until ${record.until}) to the Actions cache: ${key}`);
      return;
    }
    const reason = saved?.reason ?? "the Actions cache service is not available";
    this.#o.warn(
      reason,
      `The record of this complete run could not be saved to the Actions cache (${reason}), so the next scheduled run will not find it: it backs up from first-since again, or from an older record.`,
    );
  }
}

/** The record store of an action step: the local record file, carried through the cache when there is one. */
export function openRecordStore(
  local: FileRecordStore,
  cache: CacheApi | undefined,
  step: {
    readonly checkpointKey: string;
    readonly matrix: string;
    readonly query: Query;
    readonly ctx: RunContext;
    /** The step's cache warnings (see cache-side.ts), so the record adds none of a kind already told. */
    readonly warnings?: CacheWarnings | undefined;
  },
): CacheRecordStore {
  const warnings = step.warnings ?? new CacheWarnings(core);
  return new CacheRecordStore(local, {
    cache,
    keys: recordKeys(step.checkpointKey, step.ctx, legPart(step.matrix), fingerprint(step.query)),
    clock: Date.now,
    log: core.info,
    warn: (reason, message) => warnings.tell(reason, message),
  });
}
