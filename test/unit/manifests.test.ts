import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** deno.json maps the runtime dependencies for Deno; it must ask for what package.json asks for. */
describe("deno.json", () => {
  it("maps every runtime dependency of package.json to the same version range, and nothing else", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { imports: Record<string, string> };
    const mapped = Object.values(deno.imports).map((target) => {
      const m = /^npm:(@?[^@]+)@([^/]+)/.exec(target);
      return [m?.[1], m?.[2]];
    });
    expect(Object.fromEntries(mapped)).toEqual(pkg.dependencies);
  });
});
