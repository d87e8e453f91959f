import { createHash } from "node:crypto";
import { join } from "node:path";
import { CHECKPOINT_VERSION, type Checkpoint, parseCheckpoint } from "../engine/checkpoint.ts";
import { CheckpointRefusedError } from "../errors.ts";

/**
 * One cache entry per upload, two files: the checkpoint, which lists the segments that make up its
 * `output.bytes`, and the segment this upload added (the output bytes written since the previous
 * stored upload, possibly none). A segment's key is the key of the entry that holds it.
 */
export interface Segment {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** What the cache holds of this backfill: its segments in order, their length, the page they reach. */
export interface Chain {
  readonly segments: readonly Segment[];
  readonly bytes: number;
  readonly pages: number;
}

export const EMPTY_CHAIN: Chain = Object.freeze({ segments: [], bytes: 0, pages: 0 });

/** The files of an entry, staged outside the workspace, and the manifest beside them. */
export interface EntryFiles {
  readonly dir: string;
  readonly checkpoint: string;
  readonly segment: string;
  /**
   * Exactly these strings, in this order, for every save and restore: the entry's version is a hash
   * of them, and a restore with other strings finds nothing (REFERENCE.md, section 2).
   */
  readonly paths: readonly string[];
  /** The chain this attempt has stored, for the post step; not part of any entry. */
  readonly manifest: string;
}

/**
 * The staging folder of a backfill: under RUNNER_TEMP, which has the same path in every attempt on a
 * hosted runner, so an entry restores where it was saved; one folder per run prefix (job, leg, query).
 */
export function entryDir(runnerTemp: string, run: string): string {
  return join(
    runnerTemp,
    "health-backfill-cache",
    createHash("sha256").update(run).digest("hex").slice(0, 16),
  );
}

export function entryFiles(dir: string): EntryFiles {
  const checkpoint = join(dir, "checkpoint.json");
  const segment = join(dir, "segment.ndjson");
  return { dir, checkpoint, segment, paths: [checkpoint, segment], manifest: join(dir, "stored.json") };
}

/** Written in place of a checkpoint when a backfill completes, with an empty segment. */
export interface CompletionMarker {
  readonly version: typeof CHECKPOINT_VERSION;
  readonly complete: true;
  readonly completedAt: string;
  readonly events: number;
  readonly pages: number;
}

export type CachedEntry =
  | { readonly kind: "checkpoint"; readonly checkpoint: Checkpoint; readonly segments: readonly Segment[] }
  | { readonly kind: "complete"; readonly marker: CompletionMarker };

export function serializeCachedCheckpoint(checkpoint: Checkpoint, segments: readonly Segment[]): string {
  return `${JSON.stringify({ ...checkpoint, segments }, null, 2)}\n`;
}

export function serializeMarker(marker: Omit<CompletionMarker, "version" | "complete">): string {
  const doc: CompletionMarker = { version: CHECKPOINT_VERSION, complete: true, ...marker };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function isSegment(value: unknown): value is Segment {
  const s = value as Partial<Segment> | null;
  return (
    typeof s?.key === "string" &&
    s.key !== "" &&
    Number.isSafeInteger(s.bytes) &&
    (s.bytes as number) > 0 &&
    typeof s.sha256 === "string" &&
    /^[0-9a-f]{64}$/.test(s.sha256)
  );
}

/** Why the segment list cannot make up the checkpoint's output, or undefined when it can. */
function segmentProblem(segments: unknown, bytes: number): string | undefined {
  if (!Array.isArray(segments) || !segments.every(isSegment))
    return "its segment list is missing or malformed";
  const sum = segments.reduce((total: number, s: Segment) => total + s.bytes, 0);
  return sum === bytes ? undefined : `its segments add up to ${sum} bytes, not the ${bytes} it records`;
}

/**
 * Reads an entry's checkpoint file. Anything but a completion marker or a checkpoint of this version
 * with a segment list that adds up is refused as unreadable: never guessed at.
 */
export function parseCachedEntry(text: string, key: string): CachedEntry {
  const where = `${key} (Actions cache)`;
  let doc: Record<string, unknown> | undefined;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  if (doc?.complete === true) return { kind: "complete", marker: doc as unknown as CompletionMarker };
  const unreadable = (problem: string) =>
    new CheckpointRefusedError("unreadable", `The checkpoint ${where} is unreadable: ${problem}.`);
  if (doc?.version !== CHECKPOINT_VERSION) {
    throw unreadable(`it is not a version ${CHECKPOINT_VERSION} checkpoint of this release`);
  }
  const checkpoint = parseCheckpoint(text, where);
  const problem = segmentProblem(doc.segments, checkpoint.output.bytes);
  if (problem) throw unreadable(problem);
  const { segments, ...local } = doc;
  return { kind: "checkpoint", checkpoint: local as unknown as Checkpoint, segments: segments as Segment[] };
}
