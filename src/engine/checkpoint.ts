import { CheckpointRefusedError } from "../errors.ts";
import { isObject, parseDocument } from "../util/json.ts";
import type { Cursor } from "./continuation.ts";
import type { ResolvedRequest } from "./request.ts";

/**
 * Version 2 adds `output.lastArn`. Version 1 (release 0.1.0) is still read: it resumes with the
 * line-end check only, so a backfill interrupted before an upgrade continues after it.
 */
export const CHECKPOINT_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, CHECKPOINT_VERSION];

/** Where the output stood when the checkpoint was taken. */
export interface OutputMark {
  readonly path: string;
  readonly bytes: number;
  /** ARN of the last event before `bytes` (absent while nothing was written, and in version 1). */
  readonly lastArn?: string;
}

/** The checkpoint document (documented in docs/formats.md). */
export interface Checkpoint {
  readonly version: 1 | typeof CHECKPOINT_VERSION;
  /** Fingerprint of the query as configured: decides whether this checkpoint belongs to a run. */
  readonly fingerprint: string;
  /** The token for the next page, exactly as the API sent it. */
  readonly nextToken: string;
  readonly processedCount: number;
  readonly pages: number;
  /** When `nextToken` was received from the API (ISO 8601): the age check uses it. */
  readonly timestamp: string;
  /** When the first attempt of this backfill started. */
  readonly startedAt: string;
  readonly request: ResolvedRequest;
  readonly output: OutputMark;
  /**
   * Set once the backfill continues by time (its token could not be used): `nextToken` then belongs to
   * `request` continued at this cursor (see continuation.ts), and the window stays `request`'s.
   */
  readonly cursor?: Cursor;
}

/** Where one piece of the backfill's state lives (a file, or the Actions cache); the engine knows only this. */
export interface StateStore<T> {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** What was saved, or undefined when there is none. Throws when it is there but cannot be used. */
  load(): Promise<T | undefined>;
  /** Replaces what was saved, atomically. */
  save(value: T): Promise<void>;
}

/** Where the checkpoints live. `load` throws CheckpointRefusedError for one it cannot read. */
export interface CheckpointStore extends StateStore<Checkpoint> {
  clear(): Promise<void>;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Version 2 names the last event whenever the output has any; version 1 never does. */
function lastArnFits(version: unknown, output: Record<string, unknown>): boolean {
  if (output.lastArn !== undefined) return typeof output.lastArn === "string";
  return version === 1 || output.bytes === 0;
}

function isCursor(value: unknown): value is Cursor {
  if (!isObject(value) || typeof value.lastUpdatedTime !== "string") return false;
  return Array.isArray(value.skip) && value.skip.every((arn) => typeof arn === "string");
}

/** Why the parsed JSON is not a usable checkpoint, or undefined when it is. */
function problemOf(doc: Record<string, unknown>): string | undefined {
  if (!READABLE_VERSIONS.includes(doc.version))
    return `version ${JSON.stringify(doc.version)} is not one this release reads (${READABLE_VERSIONS.join(" or ")})`;
  if (typeof doc.fingerprint !== "string") return "fingerprint is missing";
  if (typeof doc.nextToken !== "string" || doc.nextToken === "") return "nextToken is missing";
  if (!isCount(doc.processedCount) || !isCount(doc.pages)) return "processedCount or pages is not a count";
  if (typeof doc.timestamp !== "string" || Number.isNaN(Date.parse(doc.timestamp)))
    return "timestamp is not a time";
  if (typeof doc.startedAt !== "string") return "startedAt is missing";
  const request = doc.request;
  if (!isObject(request) || !isObject(request.filter) || typeof request.region !== "string")
    return "request is incomplete";
  const output = doc.output;
  if (!isObject(output) || typeof output.path !== "string" || !isCount(output.bytes))
    return "output is incomplete";
  if (!lastArnFits(doc.version, output)) return "output.lastArn is missing";
  if (doc.cursor !== undefined && !isCursor(doc.cursor)) return "cursor is incomplete";
  return countsProblem(doc.processedCount, output.bytes);
}

/**
 * Every event counted is a line of the output before `output.bytes`, and nothing else is: a count and
 * a length that cannot both be true mean the checkpoint was edited or damaged, and resuming from it
 * would cut the output back and lose events (issue 15).
 */
function countsProblem(count: number, bytes: number): string | undefined {
  if (bytes >= count && (count > 0 || bytes === 0)) return undefined;
  return `processedCount (${count}) and output.bytes (${bytes}) disagree: ${count} events are not ${bytes} bytes of output`;
}

export function parseCheckpoint(text: string, location: string): Checkpoint {
  const doc = parseDocument(text);
  const problem = doc ? problemOf(doc) : "it is not a JSON object";
  if (problem) {
    throw new CheckpointRefusedError("unreadable", `The checkpoint ${location} is unreadable: ${problem}.`);
  }
  return doc as unknown as Checkpoint;
}

export function serializeCheckpoint(checkpoint: Checkpoint): string {
  return `${JSON.stringify(checkpoint, null, 2)}\n`;
}
