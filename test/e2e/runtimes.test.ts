import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ROOT } from "../support/runner.ts";
import { awsEnv, type Runtime, runScript } from "../support/script.ts";

/**
 * The same backfill under Node 24 (the bundle), Bun and Deno (the source as it is): identical output.
 * They run from a clean copy of the repository's files with no node_modules, as in a fresh clone
 * where nobody ran `npm ci`: Bun installs on the fly, Deno resolves through deno.json.
 */
let sim: Simulator;
let clean: string;
beforeAll(async () => {
  sim = await startSimulator({ events: 300, seed: 5, latencyMs: 1 });
  clean = mkdtempSync(join(tmpdir(), "clean-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
  })
    .toString()
    .split("\0")
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const file of files) cpSync(join(ROOT, file), join(clean, file));
}, 60_000);
afterAll(() => sim.close());

describe("runtimes", () => {
  const outputs = new Map<Runtime, string>();

  it.each(["node", "bun", "deno"] as const)(
    "%s completes a backfill with details and a resume",
    async (runtime) => {
      const dir = mkdtempSync(join(tmpdir(), `rt-${runtime}-`));
      const args = ["--page-size", "25", "--details", "entities", "--output", "out.ndjson"];
      const env = awsEnv(sim.url);
      expect(existsSync(join(clean, "node_modules"))).toBe(false);
      const first = await runScript(args, {
        cwd: dir,
        runtime,
        root: clean,
        env,
        signalWhen: { pattern: /page 4:/, signal: "SIGINT" },
      });
      expect(first.code, first.stderr).toBe(130);
      const second = await runScript(args, { cwd: dir, runtime, env, root: clean });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/Resuming from page/);
      outputs.set(runtime, readFileSync(join(dir, "out.ndjson"), "utf8"));
    },
    120_000,
  );

  it("gives byte-identical output on all three", () => {
    const node = outputs.get("node");
    expect(node?.split("\n").filter(Boolean)).toHaveLength(300);
    expect(outputs.get("bun")).toBe(node);
    expect(outputs.get("deno")).toBe(node);
  });
});
