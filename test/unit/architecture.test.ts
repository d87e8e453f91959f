import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * CONTRIBUTING.md's "Architecture" table, checked against the code: each part of src/ imports only what the
 * table allows. Type-only imports are left out (they vanish at run time); packages are named as such.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  "main.ts": ["cli"],
  "action.ts": ["action"],
  "post.ts": ["action"],
  cli: ["config", "engine", "connect.ts", "local", "s3", "format.ts", "errors.ts", "util"],
  action: [
    "config",
    "engine",
    "connect.ts",
    "local",
    "s3",
    "format.ts",
    "errors.ts",
    "util",
    "@actions/cache",
    "@actions/core",
  ],
  "connect.ts": ["config", "engine", "health", "simulator", "util"],
  config: ["errors.ts", "util"],
  engine: ["config", "errors.ts", "util"],
  health: ["engine", "errors.ts", "@aws-sdk/client-health", "@aws-sdk/client-sts", "@smithy/core"],
  local: ["config", "engine", "errors.ts", "util"],
  s3: ["config", "engine", "local", "errors.ts", "util", "@aws-sdk/client-s3", "@aws-sdk/lib-storage"],
  simulator: [],
  util: ["errors.ts"],
  "format.ts": ["config", "util"],
  "errors.ts": [],
};

/** The part of src/ a file belongs to: its top folder, or the file itself at the top. */
function partOf(file: string): string {
  const [first, second] = relative("src", file).split(/[\\/]/);
  return second === undefined ? (first as string) : (first as string);
}

function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+"([^"]+)";/gms)) {
    if (!m[1]) specs.push(m[2] as string);
  }
  for (const m of text.matchAll(/^import\s+"([^"]+)";/gm)) specs.push(m[1] as string);
  return specs;
}

function dependencies(): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  for (const entry of readdirSync("src", { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const from = partOf(file);
    const set = deps.get(from) ?? new Set<string>();
    deps.set(from, set);
    for (const spec of valueImports(file)) {
      if (spec.startsWith("node:")) continue;
      const to = spec.startsWith(".")
        ? partOf(normalize(join(dirname(file), spec)))
        : spec
            .split("/")
            .slice(0, spec.startsWith("@") ? 2 : 1)
            .join("/");
      if (to !== from) set.add(to);
    }
  }
  return deps;
}

describe("architecture", () => {
  const deps = dependencies();

  it("names every part of src/", () => {
    expect([...deps.keys()].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it.each(Object.keys(MAY_IMPORT))("%s imports only what CONTRIBUTING.md allows", (part) => {
    const extra = [...(deps.get(part) ?? [])].filter((to) => !MAY_IMPORT[part]?.includes(to));
    expect(extra).toEqual([]);
  });

  it("CONTRIBUTING.md's Architecture section lists the same parts", () => {
    const doc = readFileSync("CONTRIBUTING.md", "utf8");
    const start = doc.indexOf("## Architecture");
    expect(start).toBeGreaterThanOrEqual(0);
    const section = doc.slice(start, doc.indexOf("\n## ", start + 5));
    for (const part of Object.keys(MAY_IMPORT))
      expect(section, part).toContain(`\`${part.endsWith(".ts") ? `src/${part}` : `src/${part}/`}\``);
  });
});
