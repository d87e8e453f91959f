import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forEachLine, type Line } from "../../src/util/lines.ts";

describe("reading a file line by line", () => {
  it("gives each line's text, number and bytes, across chunk ends, long lines and multi-byte characters", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lines-")), "f.ndjson");
    // A 3 MB line (longer than the read buffer), lines of "é" that straddle the 1 MB chunk ends, a last line without an end.
    const lines = [
      "short",
      "x".repeat(3 << 20),
      ...Array.from({ length: 2000 }, (_, i) => `${i} ${"é".repeat(700)}`),
      "",
      "last",
    ];
    writeFileSync(path, lines.join("\n"));
    const seen: Line[] = [];
    await forEachLine(path, (line) => seen.push(line));
    expect(seen.map((l) => l.text)).toEqual(lines);
    expect(seen.map((l) => l.number)).toEqual(lines.map((_, i) => i + 1));
    const bytes = readFileSync(path);
    for (const l of seen) {
      const end = l.terminated ? l.offset + l.length - 1 : l.offset + l.length;
      expect(bytes.toString("utf8", l.offset, end)).toBe(l.text);
      if (l.terminated) expect(bytes[end]).toBe(0x0a);
    }
    expect(seen.map((l) => l.terminated)).toEqual(lines.map((_, i) => i < lines.length - 1));
  });
});
