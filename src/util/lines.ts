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
 * Calls `each` for every line of a file, reading a chunk at a time into one reused buffer (it grows
 * only for a line longer than itself), so a file of any size is read with memory for one chunk and the
 * longest line, and without an allocation per chunk.
 */
export async function forEachLine(path: string, each: (line: Line) => void): Promise<void> {
  const handle = await open(path, "r");
  try {
    let buffer = Buffer.allocUnsafe(CHUNK);
    let held = 0; // bytes of an unfinished line at the start of the buffer
    let position = 0; // file offset of the byte after the buffer's content
    let number = 0;
    for (;;) {
      if (held === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, held);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, held, buffer.length - held, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const end = held + bytesRead;
      const base = position - end; // file offset of buffer[0]
      let start = 0;
      for (let nl = buffer.indexOf(0x0a, 0); nl !== -1 && nl < end; nl = buffer.indexOf(0x0a, start)) {
        const text = buffer.toString("utf8", start, nl);
        each({ text, number: ++number, offset: base + start, length: nl + 1 - start, terminated: true });
        start = nl + 1;
      }
      buffer.copy(buffer, 0, start, end);
      held = end - start;
    }
    if (held > 0) {
      const text = buffer.toString("utf8", 0, held);
      each({ text, number: number + 1, offset: position - held, length: held, terminated: false });
    }
  } finally {
    await handle.close();
  }
}
