import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { JsonItems } from "../engine/source.ts";
import { CheckpointRefusedError } from "../errors.ts";
import { isMissing, type Probe } from "../util/fs.ts";

/** Where records go. `bytes` is the durable length the checkpoint records. */
export interface OutputSink {
  readonly location: string;
  /** Starts a new output (empty), or resumes one cut back to `resumeAt` bytes. Returns the length. */
  open(resumeAt?: number): Promise<number>;
  /**
   * One page of records in the output's format. The engine encodes a page as soon as it is ready, so
   * only compact bytes wait for the writer, not the objects (which would outlive the young heap).
   */
  encode(records: readonly object[]): Uint8Array;
  /** Appends one encoded page durably and returns the new length. */
  append(page: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

type Handle = Awaited<ReturnType<typeof open>>;

/**
 * JSON Lines file. Exactly-once on the sink side: on resume the file is truncated back to the length
 * recorded in the checkpoint, so a page written after the last checkpoint is not duplicated.
 */
export class NdjsonFileSink implements OutputSink {
  readonly location: string;
  #handle: Handle | undefined;
  #bytes = 0;
  readonly #probe: Probe | undefined;

  constructor(path: string, probe?: Probe) {
    this.location = path;
    this.#probe = probe;
  }

  async open(resumeAt?: number): Promise<number> {
    await mkdir(dirname(this.location), { recursive: true });
    if (resumeAt === undefined) {
      this.#handle = await open(this.location, "w");
      this.#bytes = 0;
      return 0;
    }
    const size = await this.#size();
    if (size < resumeAt) {
      const found = size < 0 ? "is missing" : `has ${size} bytes`;
      throw new CheckpointRefusedError(
        `The output ${this.location} ${found}, but the checkpoint recorded ${resumeAt} bytes: events already fetched are not there. ` +
          "Restore the output file, or start again from the first page with restart (--restart).",
      );
    }
    this.#handle = await open(this.location, "r+");
    await this.#handle.truncate(resumeAt);
    await this.#handle.sync();
    this.#bytes = resumeAt;
    return resumeAt;
  }

  async #size(): Promise<number> {
    try {
      return (await stat(this.location)).size;
    } catch (error) {
      if (isMissing(error)) return -1;
      throw error;
    }
  }

  encode(records: readonly object[]): Uint8Array {
    if (!records.some(hasJsonItems))
      return Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(""), "utf8");
    return Buffer.concat(records.flatMap(spliced));
  }

  async append(buffer: Uint8Array): Promise<number> {
    const handle = this.#handle;
    if (!handle) throw new Error("The output is not open.");
    if (buffer.length === 0) return this.#bytes;
    // With a probe (crash tests) the page goes out in two halves, so a kill can land between them.
    const half = this.#probe ? buffer.length >> 1 : buffer.length;
    await this.#write(handle, buffer, 0, half);
    this.#probe?.("page-half-written");
    await this.#write(handle, buffer, half, buffer.length);
    await handle.datasync();
    this.#probe?.("page-written");
    this.#bytes += buffer.length;
    return this.#bytes;
  }

  async #write(handle: Handle, buffer: Uint8Array, from: number, to: number): Promise<void> {
    for (let at = from; at < to; ) {
      const { bytesWritten } = await handle.write(buffer, at, to - at, this.#bytes + at);
      at += bytesWritten;
    }
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

function hasJsonItems(record: object): boolean {
  // for...in, not Object.values: this runs for every record of every page and allocates nothing.
  for (const key in record) if ((record as Record<string, unknown>)[key] instanceof JsonItems) return true;
  return false;
}

const COMMA = Buffer.from(",");

/**
 * One record as the line JSON.stringify would write, except that JsonItems members go in as the JSON
 * bytes they already are: a wide event's details and entities are never turned back into objects.
 */
function spliced(record: object): Uint8Array[] {
  const out: Uint8Array[] = [];
  let text = "{";
  let separator = "";
  for (const [key, value] of Object.entries(record)) {
    if (value instanceof JsonItems) {
      out.push(Buffer.from(`${text}${separator}${JSON.stringify(key)}:[`));
      let first = true;
      for (const piece of value.pieces) {
        if (piece.length <= 2) continue; // "[]"
        if (!first) out.push(COMMA);
        out.push(piece.subarray(1, piece.length - 1));
        first = false;
      }
      text = "]";
    } else {
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) continue; // left out, as JSON.stringify leaves out undefined members
      text += `${separator}${JSON.stringify(key)}:${json}`;
    }
    separator = ",";
  }
  out.push(Buffer.from(`${text}}\n`));
  return out;
}
