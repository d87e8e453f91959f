import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CheckpointRefusedError, errorMessage } from "../../errors.ts";
import type { FileCheckpointStore } from "../../local/checkpoint-file.ts";
import { isMissing } from "../../util/fs.ts";
import { parseDocument } from "../../util/json.ts";
import type { CacheApi } from "./api.ts";
import {
  type Chain,
  chainHash,
  EMPTY_SHA256,
  type EntryFiles,
  parseCachedEntry,
  type Segment,
  type SegmentList,
} from "./entry.ts";
import type { CacheKeys } from "./keys.ts";
import { placeSegment } from "./segments.ts";

/** What a re-run found in the cache, and what is now in the workspace. */
export type Restored =
  /** Nothing to continue: the first attempt of a run, or no entry of this run and leg. */
  | { readonly kind: "fresh"; readonly firstAttempt: boolean }
  /** The cache failed to answer or to deliver the newest entry: nothing to continue from. */
  | { readonly kind: "failed"; readonly reason: string }
  /** The newest entry marks a completed backfill: this attempt starts fresh. */
  | { readonly kind: "complete"; readonly key: string }
  /** Checkpoint and output rebuilt from their segments, checked, in place. */
  | { readonly kind: "checkpoint"; readonly key: string; readonly chain: Chain }
  /** An entry of release 0.1.0 (checkpoint and whole output) restored in place. */
  | { readonly kind: "earlier-release"; readonly key: string }
  /** The newest checkpoint cannot be used (a segment missing or corrupt); nothing was changed. */
  | { readonly kind: "unusable"; readonly key: string; readonly pages: number; readonly why: string };

export interface RestoreOptions {
  readonly cache: CacheApi;
  readonly keys: CacheKeys;
  readonly files: EntryFiles;
  /** The local checkpoint, where a restored checkpoint goes. */
  readonly local: FileCheckpointStore;
  readonly output: string;
  readonly attempt: number;
  /** Where release 0.1.0 kept a run's entries: its key prefix and path strings. */
  readonly earlier: { readonly run: string; readonly paths: readonly string[]; readonly matrixLeg: boolean };
}

/**
 * Restores the newest checkpoint of this run and leg, then each of its segments by exact key (walking
 * its chain back), checks length and SHA-256 of each, and only then puts the rebuilt output and the
 * checkpoint in place. A segment missing, evicted or corrupt makes the checkpoint unusable as a whole:
 * never a partial or spliced output. The first attempt of a run has nothing to continue and restores
 * nothing. A newest entry that is no checkpoint of this release is refused (CheckpointRefusedError).
 */
export async function restoreProgress(o: RestoreOptions): Promise<Restored> {
  if (o.attempt === 1) return { kind: "fresh", firstAttempt: true };
  const hit = await o.cache.restore(o.files.paths, o.keys.run);
  if (hit.key) return fromEntry(hit.key, o);
  if (hit.reason) return { kind: "failed", reason: hit.reason };
  return fromEarlierRelease(o);
}

async function fromEntry(key: string, o: RestoreOptions): Promise<Restored> {
  const text = await readFile(o.files.checkpoint, "utf8").catch(() => undefined);
  if (text === undefined) return { kind: "unusable", key, pages: 0, why: "its checkpoint file is missing" };
  const entry = parseCachedEntry(text, key);
  if (entry.kind === "complete") return { kind: "complete", key };
  const { checkpoint, segments } = entry;
  const why = await rebuild(segments, checkpoint.output.bytes, key, o).catch((error: unknown) =>
    errorMessage(error),
  );
  if (why !== undefined) return { kind: "unusable", key, pages: checkpoint.pages, why };
  await o.local.save(checkpoint);
  return {
    kind: "checkpoint",
    key,
    chain: { ...segments, bytes: checkpoint.output.bytes, pages: checkpoint.pages },
  };
}

/** The last segment the checkpoint staged from entry `key` records; throws when it is no checkpoint. */
async function recordIn(files: EntryFiles, key: string): Promise<Segment | undefined> {
  const entry = parseCachedEntry(await readFile(files.checkpoint, "utf8"), key);
  return entry.kind === "checkpoint" ? entry.segments.last : undefined;
}

/**
 * Walks the chain from the checkpoint's last segment back to the first. Each entry, restored by its
 * exact key, must hold the segment the chain names there, with the length and SHA-256 its record
 * gives; each is written at its place in a file beside the output. Only when the whole chain is there
 * and hashes to what the checkpoint records does that file replace the output. Returns why not otherwise.
 */
async function rebuild(
  list: SegmentList,
  bytes: number,
  newest: string,
  o: RestoreOptions,
): Promise<string | undefined> {
  const target = join(dirname(o.output), `.${basename(o.output)}.${process.pid}.tmp`);
  await writeFile(target, "");
  try {
    const records: Segment[] = [];
    let end = bytes;
    let staged = newest;
    for (let wanted = list.last?.key; wanted !== undefined; wanted = records[0]?.previous) {
      if (records.length >= list.count)
        return `its chain of segments is longer than the ${list.count} it records`;
      if (wanted !== staged) {
        // Restore matches a key's prefix too: only the exact entry will do.
        const got = await o.cache.restore(o.files.paths, wanted);
        if (got.key !== wanted)
          return `its segment ${wanted} is not in the cache any more (evicted or deleted)`;
        staged = wanted;
      }
      const record = await recordIn(o.files, wanted);
      if (record?.key !== wanted || record.bytes > end) {
        return `the cache entry ${wanted} does not hold the segment its chain records`;
      }
      const problem = await placeSegment(o.files.segment, record, target, end - record.bytes);
      if (problem) return problem;
      end -= record.bytes;
      records.unshift(record);
    }
    const sha256 = records.reduce((h, r) => chainHash(h, r), EMPTY_SHA256);
    if (end !== 0 || records.length !== list.count || sha256 !== list.sha256) {
      return "its segments do not make up the chain its checkpoint records";
    }
    await rename(target, o.output);
    return undefined;
  } finally {
    await rm(target, { force: true });
  }
}

/**
 * Entries of release 0.1.0 (a re-run after `@v1` moved to this release). Outside a matrix they hold
 * this job's checkpoint and whole output, restored as they are; the engine reads checkpoint version 1.
 * In a matrix they may be another leg's (that release kept no leg in the key): refused, never guessed.
 */
/** The refusal only the Actions cache raises: an earlier release's entry that may be another matrix leg's. */
export type CacheRefusalReason = "ambiguous-leg";

async function fromEarlierRelease(o: RestoreOptions): Promise<Restored> {
  const { run, paths, matrixLeg } = o.earlier;
  if (matrixLeg) {
    const found = await o.cache.restore(paths, run, { lookupOnly: true });
    if (found.key === undefined) return { kind: "fresh", firstAttempt: false };
    throw new CheckpointRefusedError<CacheRefusalReason>(
      "ambiguous-leg",
      `The earlier attempt of this run saved its checkpoint (${found.key}) with release 0.1.0, whose cache keys do not tell matrix legs apart, so it may be another leg's.`,
    );
  }
  const hit = await o.cache.restore(paths, run);
  if (hit.key === undefined) return { kind: "fresh", firstAttempt: false };
  const text = await readFile(o.local.location, "utf8").catch(() => "");
  if (isEarlierMarker(text)) {
    await o.local.clear();
    return { kind: "complete", key: hit.key };
  }
  return { kind: "earlier-release", key: hit.key };
}

/** Release 0.1.0 marked a completed backfill with `{"complete": true, ...}` in place of the checkpoint. */
function isEarlierMarker(text: string): boolean {
  return parseDocument(text)?.complete === true;
}

/**
 * When nothing is continued, a checkpoint in the workspace is an earlier run's (a self-hosted runner
 * keeps its workspace): set aside, not used, so a new workflow run starts fresh.
 */
export async function setAsideEarlierRun(path: string, warn: (message: string) => void): Promise<void> {
  try {
    await rename(path, `${path}.earlier-run`);
    warn(`Set aside ${path} from an earlier run as ${path}.earlier-run: a new workflow run starts fresh.`);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
