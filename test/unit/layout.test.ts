import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Relative import specifiers of every .ts file under `dir`. */
function importsUnder(dir: string): { file: string; spec: string }[] {
  const found: { file: string; spec: string }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g))
      found.push({ file, spec: m[1] as string });
  }
  return found;
}

describe("the layout tells the architecture", () => {
  it("the engine and the local files know nothing of the action (or of GitHub)", () => {
    for (const dir of ["src/engine", "src/local"]) {
      const imports = importsUnder(dir);
      expect(imports.length).toBeGreaterThan(0);
      const bad = imports.filter(({ spec }) => /(^|\/)action(\/|\.ts$)|^@actions\//.test(spec));
      expect(bad, JSON.stringify(bad)).toEqual([]);
    }
  });

  it("the cache-backed store lives with the action, in its own folder", () => {
    expect(readdirSync("src/local")).toEqual(
      expect.arrayContaining(["checkpoint-file.ts", "record-file.ts"]),
    );
    expect(readdirSync("src/action/cache")).toContain("store.ts");
    expect(readdirSync("src/action").filter((f) => f.startsWith("cache") && f !== "cache")).toEqual([]);
  });
});
