import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { Checkpoint } from "../../engine/checkpoint.ts";
import { errorMessage } from "../../errors.ts";
import { writeFileAtomic } from "../../util/fs.ts";
import type { CacheApi } from "./api.ts";
import {
  type Chain,
  type CompletionMarker,
  EMPTY_CHAIN,
  type EntryFiles,
  extend,
  serializeCachedCheckpoint,
  serializeMarker,
} from "./entry.ts";
import { copyRange } from "./segments.ts";

export interface UploadDeps {
  readonly cache: CacheApi;
  readonly files: EntryFiles;
  /** The output file the checkpoints describe. */
  readonly output: string;
}

export interface Uploaded {
  readonly stored: boolean;
  /** What the cache holds afterwards (unchanged when nothing was stored). */
  readonly chain: Chain;
  /** Output bytes in this upload's segment. */
  readonly segmentBytes: number;
  readonly archiveBytes?: number | undefined;
  readonly reason?: string | undefined;
}

/**
 * Uploads one checkpoint as one entry: the checkpoint, whose segment list ends with this upload's
 * segment, and that segment, the output bytes since the previous stored upload. Stored, it records
 * the new chain in the manifest, for the post step. Never throws: a failure is an answer with its reason.
 */
export async function uploadCheckpoint(
  checkpoint: Checkpoint,
  chain: Chain,
  key: string,
  d: UploadDeps,
): Promise<Uploaded> {
  const from = chain.bytes;
  const to = checkpoint.output.bytes;
  try {
    if (to < from)
      throw new Error(`the checkpoint records ${to} bytes, fewer than the ${from} already stored`);
    await mkdir(d.files.dir, { recursive: true });
    const sha256 = await copyRange(d.output, from, to, d.files.segment);
    const next =
      to > from
        ? extend(chain, { key, bytes: to - from, sha256 }, checkpoint.pages)
        : { ...chain, pages: checkpoint.pages };
    await writeFile(d.files.checkpoint, serializeCachedCheckpoint(checkpoint, next));
    const saved = await d.cache.save(d.files.paths, key);
    if (!saved.stored) return { stored: false, chain, segmentBytes: to - from, reason: saved.reason };
    await writeManifest(d.files, next);
    return { stored: true, chain: next, segmentBytes: to - from, archiveBytes: saved.archiveBytes };
  } catch (error) {
    return { stored: false, chain, segmentBytes: 0, reason: errorMessage(error) };
  }
}

/** Uploads the completion marker: no output, so a later attempt of the run starts fresh. */
export async function uploadMarker(
  marker: Omit<CompletionMarker, "version" | "complete">,
  key: string,
  d: UploadDeps,
): Promise<Uploaded> {
  try {
    await mkdir(d.files.dir, { recursive: true });
    await writeFile(d.files.segment, "");
    await writeFile(d.files.checkpoint, serializeMarker(marker));
    const saved = await d.cache.save(d.files.paths, key);
    return { ...saved, chain: EMPTY_CHAIN, segmentBytes: 0 };
  } catch (error) {
    return { stored: false, chain: EMPTY_CHAIN, segmentBytes: 0, reason: errorMessage(error) };
  }
}

export function writeManifest(files: EntryFiles, chain: Chain): Promise<void> {
  return writeFileAtomic(files.manifest, `${JSON.stringify(chain)}\n`);
}

/** The chain the main step recorded; empty when it stored nothing (or the manifest is unreadable). */
export async function readManifest(files: EntryFiles): Promise<Chain> {
  try {
    const chain = JSON.parse(await readFile(files.manifest, "utf8")) as Chain;
    const valid =
      [chain.count, chain.bytes, chain.pages].every(Number.isSafeInteger) && typeof chain.sha256 === "string";
    return valid ? chain : EMPTY_CHAIN;
  } catch {
    return EMPTY_CHAIN;
  }
}
