/**
 * The output the engine writes to, beside the checkpoint store: the engine knows only this interface;
 * src/local/output.ts is the JSON Lines file behind it.
 */
import type { Cursor } from "./continuation.ts";

/** Where records go. `bytes` is the durable length the checkpoint records. */
export interface OutputSink {
  readonly location: string;
  /** Whether `path` (as a checkpoint recorded it) names this output, compared as real paths. */
  isSameAs(path: string): boolean;
  /**
   * Checks, changing nothing, that the output can continue at `resumeAt` bytes: it is that long, a
   * line ends there, and that line is the event `lastArn` (when the checkpoint names one). Throws
   * CheckpointRefusedError otherwise.
   */
  verify(resumeAt: number, lastArn?: string): Promise<void>;
  /**
   * Starts writing: a new output (empty), or the resumed one cut back to `resumeAt`. The engine calls
   * it when the first page is ready, so a run that fails before then leaves the file as it was.
   */
  open(resumeAt?: number): Promise<number>;
  /**
   * One page of records in the output's format. The engine encodes a page as soon as it is ready, so
   * only compact bytes wait for the writer, not the objects (which would outlive the young heap).
   */
  encode(records: readonly object[]): Uint8Array;
  /**
   * Where a continuation by time starts: the lastUpdatedTime of the last event before `end` bytes and
   * the ARNs of the events just before it with that same time. Undefined when nothing was written.
   */
  tail(end: number): Promise<Cursor | undefined>;
  /** The ARN of the last record of an encoded page; undefined for an empty page. */
  lastArnOf(page: Uint8Array): string | undefined;
  /**
   * Appends one encoded page durably and returns the new length. `ahead`: the lines are a part of a
   * page written before the page is complete, so no checkpoint follows them yet.
   */
  append(page: Uint8Array, ahead?: boolean): Promise<number>;
  close(): Promise<void>;
}
