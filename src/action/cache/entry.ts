import { createHash } from "node:crypto";
import { join } from "node:path";
import { CHECKPOINT_VERSION, type Checkpoint, parseCheckpoint } from "../../engine/checkpoint.ts";
import { CheckpointRefusedError } from "../../errors.ts";
import { parseDocument } from "../../util/json.ts";

/**
 * One cache entry per upload, two files: the checkpoint, and the segment this upload added (the
 * output bytes written since the previous stored upload, possibly none). A segment's key is the key
 * of the entry that holds it; its record names the segment before it, so the segments of a checkpoint
 * form a chain from its last one back to the first.
 */
export interface Segment {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  /** The key of the segment before this one; absent for the first. */
  readonly previous?: string;
}

/**
 * The segments that make up a checkpoint's `output.bytes`: the last one, how many, and a SHA-256 over
 * all their records in order. Each checkpoint lists the chain this way, in constant size: listing every
 * segment in every checkpoint made the bytes uploaded grow with the square of the number of uploads.
 */
export interface SegmentList {
  readonly count: number;
  /** The chain's hash: H(0) = SHA-256 of nothing, H(n) = SHA-256 of H(n-1) and the n-th record. */
  readonly sha256: string;
  readonly last?: Segment;
}

/** What the cache holds of this backfill: its segments, their length, the page they reach. */
export interface Chain extends SegmentList {
  readonly bytes: number;
  readonly pages: number;
}

export const EMPTY_SHA256 = createHash("sha256").digest("hex");
export const EMPTY_CHAIN: Chain = Object.freeze({ count: 0, sha256: EMPTY_SHA256, bytes: 0, pages: 0 });

/** The chain's hash after `segment`. */
export function chainHash(before: string, segment: Segment): string {
  return createHash("sha256")
    .update(`${before}\n${segment.key}\n${segment.bytes}\n${segment.sha256}\n${segment.previous ?? ""}\n`)
    .digest("hex");
}

/** The chain with `segment` appended (its `previous` set here). */
export function extend(chain: Chain, added: Omit<Segment, "previous">, pages: number): Chain {
  const segment: Segment = chain.last ? { ...added, previous: chain.last.key } : added;
  return {
    count: chain.count + 1,
    sha256: chainHash(chain.sha256, segment),
    last: segment,
    bytes: chain.bytes + segment.bytes,
    pages,
  };
}

/** The files of an entry, staged outside the workspace, and the manifest beside them. */
export interface EntryFiles {
  readonly dir: string;
  readonly checkpoint: string;
  readonly segment: string;
  /**
   * Exactly these strings, in this order, for every save and restore: the entry's version is a hash
   * of them, and a restore with other strings finds nothing (https://github.com/actions/cache/blob/main/README.md#cache-version).
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
  | { readonly kind: "checkpoint"; readonly checkpoint: Checkpoint; readonly segments: SegmentList }
  | { readonly kind: "complete"; readonly marker: CompletionMarker };

export function serializeCachedCheckpoint(checkpoint: Checkpoint, chain: Chain): string {
  const segments: SegmentList = {
    count: chain.count,
    sha256: chain.sha256,
    ...(chain.last ? { last: chain.last } : {}),
  };
  return `${JSON.stringify({ ...checkpoint, segments })}\n`;
}

export function serializeMarker(marker: Omit<CompletionMarker, "version" | "complete">): string {
  const doc: CompletionMarker = { version: CHECKPOINT_VERSION, complete: true, ...marker };
  return `${JSON.stringify(doc)}\n`;
}

const SHA256 = /^[0-9a-f]{64}$/;

function isSegment(value: unknown): value is Segment {
  const s = value as Partial<Segment> | null;
  return (
    typeof s?.key === "string" &&
    s.key !== "" &&
    Number.isSafeInteger(s.bytes) &&
    (s.bytes as number) > 0 &&
    typeof s.sha256 === "string" &&
    SHA256.test(s.sha256) &&
    (s.previous === undefined || (typeof s.previous === "string" && s.previous !== ""))
  );
}

/** Why the segment list cannot make up the checkpoint's output, or undefined when it can. */
function segmentProblem(value: unknown, bytes: number): string | undefined {
  const list = value as Partial<SegmentList> | null;
  if (
    typeof list !== "object" ||
    list === null ||
    !Number.isSafeInteger(list.count) ||
    !SHA256.test(list.sha256 ?? "")
  ) {
    return "its segment list is missing or malformed";
  }
  if (list.last !== undefined && !isSegment(list.last)) return "its last segment is malformed";
  const empty = list.count === 0;
  if (empty !== (list.last === undefined) || empty !== (bytes === 0) || (list.last?.bytes ?? 0) > bytes) {
    return `its segment list (${list.count} segments) cannot make up the ${bytes} bytes it records`;
  }
  return undefined;
}

/**
 * Reads an entry's checkpoint file. Anything but a completion marker or a checkpoint of this version
 * with a segment list that fits is refused as unreadable: never guessed at.
 */
export function parseCachedEntry(text: string, key: string): CachedEntry {
  const where = `${key} (Actions cache)`;
  const doc = parseDocument(text);
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
  return {
    kind: "checkpoint",
    checkpoint: local as unknown as Checkpoint,
    segments: segments as SegmentList,
  };
}
