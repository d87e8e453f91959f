import { existsSync } from "node:fs";
import * as core from "@actions/core";
import {
  identityId,
  RecordUnreadableError,
  type RunRecord,
  type RunRecordStore,
} from "../../engine/record.ts";
import { type FileRecordStore, recordPath } from "../../local/record-file.ts";
import type { RunContext } from "../env.ts";
import type { StepIdentity } from "../step.ts";
import type { CacheApi } from "./api.ts";
import { CacheWarnings } from "./failure.ts";
import { keyPart } from "./keys.ts";

/**
 * Cache keys of the last-run record: its own, per job, matrix leg and backup (the identity's id: the
 * account, the workflow, the endpoint, the query and the archive), not per run, so the next scheduled
 * run finds it. Keys are immutable: each completed backfill saves a new entry and a restore asks for the
 * newest under the prefix (https://github.com/actions/cache#cache-matching).
 *   <checkpoint-key>-last-run-<job>-<leg>-<backup id>-<run id>-<attempt>-<completion time>
 * A checkpoint key is `<checkpoint-key>-<job>-...` with a job part that holds no "-", so the two
 * families never match each other's prefixes. The run id part holds no "-" either, so the prefix of one
 * run never matches another run's entries.
 */
export function recordKeys(
  prefix: string,
  ctx: RunContext,
  leg: string,
  backup: string,
): { readonly prefix: string; readonly run: string; save(at: number): string } {
  const base = `${keyPart(prefix)}-last-run-${keyPart(ctx.job, false)}-${leg}-${backup}-`;
  const run = `${base}${keyPart(ctx.runId, false)}-`;
  return { prefix: base, run, save: (at) => `${run}${ctx.attempt}-${at.toString(36)}` };
}

/** Where release 0.1.0 kept the record of a query: per job, leg and query fingerprint, no account, no workflow. */
export function earlierReleaseRecordPrefix(
  prefix: string,
  ctx: RunContext,
  leg: string,
  releasedFingerprint: string,
): string {
  return `${keyPart(prefix)}-last-run-${keyPart(ctx.job, false)}-${leg}-${releasedFingerprint}-`;
}

export interface CacheRecordOptions {
  /** Undefined without an Actions cache: the record stays in the workspace. */
  readonly cache: CacheApi | undefined;
  readonly keys: ReturnType<typeof recordKeys>;
  /** Where release 0.1.0 kept the records of the same query: its key prefix and its path string. */
  readonly earlierRelease: { readonly prefix: string; readonly path: string };
  /** The attempt of this workflow run (1 first). */
  readonly attempt: number;
  readonly clock: () => number;
  readonly log: (message: string) => void;
  /** A cache failure: `reason` says what happened (one warning per reason, see failure.ts). */
  readonly warn: (reason: string, message: string) => void;
}

/**
 * The record file, carried from one workflow run to the next through the Actions cache: a hosted
 * runner starts with an empty workspace. A few hundred bytes per entry. A record left in the workspace
 * (a self-hosted runner keeps it) is used when the cache has none: it is a real complete run.
 */
export class CacheRecordStore implements RunRecordStore {
  readonly location: string;
  readonly identity: RunRecordStore["identity"];
  readonly #local: FileRecordStore;
  readonly #o: CacheRecordOptions;
  restoredKey: string | undefined;
  savedKey: string | undefined;

  constructor(local: FileRecordStore, o: CacheRecordOptions) {
    this.#local = local;
    this.#o = o;
    this.location = local.location;
    this.identity = local.identity;
  }

  /**
   * A later attempt of a run first asks for the record its own run wrote: a re-run after a later step
   * failed (the upload of the archive) backs up the same window again rather than an empty one.
   */
  async load(): Promise<RunRecord | undefined> {
    const { keys, log } = this.#o;
    const key =
      (this.#o.attempt > 1 ? await this.#restore(keys.run) : undefined) ?? (await this.#restore(keys.prefix));
    if (key) {
      this.restoredKey = key;
      log(`Restored the record of the last complete run from the Actions cache: ${key}`);
    } else if (existsSync(this.#local.location)) {
      log(`No record in the Actions cache; using the one in the workspace, ${this.#local.location}.`);
    } else if (this.#o.cache) {
      log(`No record of a complete run of this backup in the Actions cache under ${keys.prefix}.`);
      await this.#refuseEarlierRelease();
    }
    return this.#local.load();
  }

  async #restore(prefix: string): Promise<string | undefined> {
    const restored = await this.#o.cache?.restore([this.#local.location], prefix);
    if (restored?.reason) {
      const { reason } = restored;
      this.#o.warn(reason, `Could not restore the last-run record from the Actions cache (${reason}).`);
    }
    return restored?.key;
  }

  /**
   * Release 0.1.0 kept the record per job, leg and flags: two workflows, or two AWS accounts, with the
   * same job and flags shared it, so it cannot say whose it is. It is never used; the run says why.
   */
  async #refuseEarlierRelease(): Promise<void> {
    const { prefix, path } = this.#o.earlierRelease;
    const found = await this.#o.cache?.restore([path], prefix, { lookupOnly: true });
    if (found?.key === undefined) return;
    throw new RecordUnreadableError(
      `The record release 0.1.0 saved for these inputs (${found.key}) names neither the AWS account nor the workflow, so it may be another backup's and is not used`,
    );
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
  o: {
    readonly step: StepIdentity;
    readonly output: string;
    /** The step's cache warnings (see side.ts), so the record adds none of a kind already told. */
    readonly warnings?: CacheWarnings | undefined;
  },
): CacheRecordStore {
  const { step } = o;
  const warnings = o.warnings ?? new CacheWarnings(core);
  return new CacheRecordStore(local, {
    cache,
    keys: recordKeys(step.checkpointKey, step.ctx, step.leg, identityId(local.identity)),
    earlierRelease: {
      prefix: earlierReleaseRecordPrefix(step.checkpointKey, step.ctx, step.leg, step.releasedFingerprint),
      path: recordPath(o.output, step.releasedFingerprint),
    },
    attempt: step.ctx.attempt,
    clock: Date.now,
    log: core.info,
    warn: (reason, message) => warnings.tell(reason, message),
  });
}
