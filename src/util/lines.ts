import { open } from "node:fs/promises";

/** One line of a file: its text (without the line end), where its bytes are, and its number (1-based). */
export interface Line {
  readonly text: string;
  readonly number: number;
  readonly offset: number;
  /** Bytes, the line end included when there is one. */
  readonly length: number;
  /** False only for a last line without a line end. */
  readonly terminated: boolean;
}

const CHUNK = 1 << 20;

/**
 * Calls `each` for every line of a file, reading a chunk at a time, so a file of any size is read with
 * memory for one chunk and the longest line.
 */
export async function forEachLine(path: string, each: (line: Line) => void): Promise<void> {
  const handle = await open(path, "r");
  try {
    let carry = Buffer.alloc(0);
    let position = 0;
    let number = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
      if (bytesRead === 0) break;
      const data =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      const base = position - carry.length;
      let start = 0;
      for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
        const text = data.toString("utf8", start, end);
        each({ text, number: ++number, offset: base + start, length: end + 1 - start, terminated: true });
        start = end + 1;
      }
      carry = Buffer.from(data.subarray(start));
      position += bytesRead;
    }
    if (carry.length > 0) {
      const text = carry.toString("utf8");
      each({
        text,
        number: number + 1,
        offset: position - carry.length,
        length: carry.length,
        terminated: false,
      });
    }
  } finally {
    await handle.close();
  }
}
