import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Segment } from "./entry.ts";

/** A pass-through stream that hashes and counts what flows through it. */
function tap(hash: Hash): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      t.bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

/**
 * Copies bytes [from, to) of the output into `target` (replaced) and returns their SHA-256. The output
 * is only appended to while the backfill runs, and those bytes were durable before their checkpoint
 * was saved, so reading them later, while pages are appended after `to`, reads exactly what the
 * checkpoint records.
 */
export async function copyRange(output: string, from: number, to: number, target: string): Promise<string> {
  const hash = createHash("sha256");
  if (to === from) {
    await writeFile(target, "");
    return hash.digest("hex");
  }
  const counted = tap(hash);
  await pipeline(createReadStream(output, { start: from, end: to - 1 }), counted, createWriteStream(target));
  if (counted.bytes !== to - from) {
    throw new Error(
      `${output} holds ${from + counted.bytes} bytes, fewer than the ${to} its checkpoint records`,
    );
  }
  return hash.digest("hex");
}

/**
 * Writes a restored segment file into `target` at `position` when it holds exactly the segment's
 * bytes; returns why not otherwise (and then `target` must be thrown away).
 */
export async function placeSegment(
  file: string,
  segment: Segment,
  target: string,
  position: number,
): Promise<string | undefined> {
  const size = (await stat(file)).size;
  if (size !== segment.bytes) return `its segment ${segment.key} has ${size} bytes, not ${segment.bytes}`;
  const hash = createHash("sha256");
  await pipeline(
    createReadStream(file),
    tap(hash),
    createWriteStream(target, { flags: "r+", start: position }),
  );
  const sha256 = hash.digest("hex");
  return sha256 === segment.sha256 ? undefined : `its segment ${segment.key} does not match its SHA-256`;
}
