import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Cursor } from "../engine/continuation.ts";
import type { OutputSink } from "../engine/sink.ts";
import { JsonItems } from "../engine/source.ts";
import { CheckpointRefusedError } from "../errors.ts";
import { isMissing, type Probe, realPath } from "../util/fs.ts";

type Handle = Awaited<ReturnType<typeof open>>;

/** Bytes read at a time when looking for the start of the last line (an event may span megabytes). */
const LINE_CHUNK = 64 * 1024;

/**
 * The `arn` of one output line. Records start with it (`{"arn":"...`), so the string is cut out
 * without parsing a line that may be large; anything else parses the whole line.
 */
export function arnOfLine(line: Buffer): string | undefined {
  const head = /^\{"arn":("(?:[^"\\]|\\.)*")/.exec(line.subarray(0, 4096).toString("utf8"));
  try {
    const arn: unknown = head
      ? JSON.parse(head[1] as string)
      : (JSON.parse(line.toString("utf8")) as { arn?: unknown }).arn;
    return typeof arn === "string" ? arn : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `arn` and top-level `lastUpdatedTime` of one output line. Both come before the details (a wide
 * event's line can be megabytes), so the head is read first; anything else parses the whole line.
 */
export function eventKeyOfLine(line: Buffer): { arn?: string; lastUpdatedTime?: string } {
  const arn = arnOfLine(line);
  const head =
    /^\{"arn":"(?:[^"\\]|\\.)*"(?:,"(?:service|eventTypeCode|eventTypeCategory|eventScopeCode|region|availabilityZone|startTime|endTime)":(?:"(?:[^"\\]|\\.)*"|null))*,"lastUpdatedTime":"([^"]+)"/.exec(
      line.subarray(0, 4096).toString("utf8"),
    );
  let time = head?.[1];
  if (time === undefined) {
    try {
      const parsed = (JSON.parse(line.toString("utf8")) as { lastUpdatedTime?: unknown }).lastUpdatedTime;
      time = typeof parsed === "string" ? parsed : undefined;
    } catch {
      time = undefined;
    }
  }
  return { ...(arn === undefined ? {} : { arn }), ...(time === undefined ? {} : { lastUpdatedTime: time }) };
}

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

  isSameAs(path: string): boolean {
    return realPath(path) === realPath(this.location);
  }

  async verify(resumeAt: number, lastArn?: string): Promise<void> {
    const size = await this.#size();
    if (size < resumeAt) {
      const found = size < 0 ? "is missing" : `has ${size} bytes`;
      throw new CheckpointRefusedError(
        "output-short",
        `The output ${this.location} ${found}, but the checkpoint recorded ${resumeAt} bytes: events already fetched are not there.`,
      );
    }
    if (resumeAt > 0 && (await this.#byteAt(resumeAt - 1)) !== 0x0a) {
      throw new CheckpointRefusedError(
        "output-changed",
        `The output ${this.location} has no line end at byte ${resumeAt}, where the checkpoint's last page ended: the file was changed since.`,
      );
    }
    if (lastArn === undefined || resumeAt === 0) return;
    const found = arnOfLine(await this.#lineBefore(resumeAt));
    if (found !== lastArn) {
      throw new CheckpointRefusedError(
        "output-changed",
        `The output ${this.location} does not end at byte ${resumeAt} with the event the checkpoint recorded last (${lastArn}) but with ${found ?? "a line that is not an event"}: the file was replaced or edited since.`,
      );
    }
  }

  async tail(end: number): Promise<Cursor | undefined> {
    let at = end;
    let time: string | undefined;
    const skip: string[] = [];
    while (at > 0) {
      const line = await this.#lineBefore(at);
      const { arn, lastUpdatedTime } = eventKeyOfLine(line);
      if (arn === undefined || lastUpdatedTime === undefined) {
        throw new CheckpointRefusedError(
          "output-changed",
          `The output ${this.location} has a line that is not an event before byte ${at}: it cannot be continued by time.`,
        );
      }
      time ??= lastUpdatedTime;
      if (Date.parse(lastUpdatedTime) !== Date.parse(time)) break;
      skip.push(arn);
      at -= line.length + 1;
    }
    return time === undefined ? undefined : { lastUpdatedTime: time, skip };
  }

  /** The line that ends at `end` (which is just after its newline), read backwards in chunks. */
  async #lineBefore(end: number): Promise<Buffer> {
    const handle = await open(this.location, "r");
    try {
      const chunks: Buffer[] = [];
      let at = end - 1; // the newline itself
      while (at > 0) {
        const size = Math.min(LINE_CHUNK, at);
        const chunk = Buffer.alloc(size);
        await handle.read(chunk, 0, size, at - size);
        const newline = chunk.lastIndexOf(0x0a);
        chunks.unshift(newline < 0 ? chunk : chunk.subarray(newline + 1));
        if (newline >= 0) break;
        at -= size;
      }
      return Buffer.concat(chunks);
    } finally {
      await handle.close();
    }
  }

  async open(resumeAt?: number): Promise<number> {
    await mkdir(dirname(this.location), { recursive: true });
    if (resumeAt === undefined) {
      this.#handle = await open(this.location, "w");
      this.#bytes = 0;
      return 0;
    }
    await this.verify(resumeAt);
    this.#handle = await open(this.location, "r+");
    await this.#handle.truncate(resumeAt);
    await this.#handle.sync();
    this.#bytes = resumeAt;
    return resumeAt;
  }

  async #byteAt(position: number): Promise<number | undefined> {
    const handle = await open(this.location, "r");
    try {
      const buffer = Buffer.alloc(1);
      const { bytesRead } = await handle.read(buffer, 0, 1, position);
      return bytesRead === 1 ? buffer[0] : undefined;
    } finally {
      await handle.close();
    }
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

  lastArnOf(page: Uint8Array): string | undefined {
    if (page.length === 0) return undefined;
    const bytes = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
    const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
    return arnOfLine(bytes.subarray(start, bytes.length - 1));
  }

  async append(buffer: Uint8Array, ahead = false): Promise<number> {
    const handle = this.#handle;
    if (!handle) throw new Error("The output is not open.");
    if (buffer.length === 0) return this.#bytes;
    // With a probe (crash tests) the page goes out in two halves, so a kill can land between them.
    const half = this.#probe ? buffer.length >> 1 : buffer.length;
    await this.#write(handle, buffer, 0, half);
    this.#probe?.("page-half-written");
    await this.#write(handle, buffer, half, buffer.length);
    await handle.datasync();
    this.#probe?.(ahead ? "part-written" : "page-written");
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
