import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { awsEnv, type Runtime, runScript } from "../support/script.ts";

/** The same backfill under Node 24 (the bundle), Bun and Deno (the source as it is): identical output. */
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ events: 300, seed: 5, latencyMs: 1 });
});
afterAll(() => sim.close());

describe("runtimes", () => {
  const outputs = new Map<Runtime, string>();

  it.each(["node", "bun", "deno"] as const)(
    "%s completes a backfill with details and a resume",
    async (runtime) => {
      const dir = mkdtempSync(join(tmpdir(), `rt-${runtime}-`));
      const args = ["--page-size", "25", "--details", "entities", "--output", "out.ndjson"];
      const env = awsEnv(sim.url);
      const first = await runScript(args, {
        cwd: dir,
        runtime,
        env,
        signalWhen: { pattern: /page 4:/, signal: "SIGINT" },
      });
      expect(first.code, first.stderr).toBe(130);
      const second = await runScript(args, { cwd: dir, runtime, env });
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
