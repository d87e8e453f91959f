import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { checkOutput } from "../support/expected.ts";
import { awsEnv, runScript } from "../support/script.ts";

/**
 * A wide organization through the bundled script (Node 24): 600 accounts, account-specific events that
 * reach up to all of them, up to 8 entities per (event, account). A page of 20 such events is a few
 * megabytes of output, more than the script holds at once, so it is fetched in batches and written in
 * parts ahead of its checkpoint.
 */
const ARGS = ["--page-size", "20", "--details", "entities", "--output", "out.ndjson"];
const PAGE = 20;

let sim: Simulator;
let reference: string;
const dirs: string[] = [];
const dirOf = () => {
  const dir = mkdtempSync(join(tmpdir(), "wide-"));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  sim = await startSimulator({
    events: 60,
    seed: 13,
    latencyMs: 2,
    accounts: 600,
    accountsPerEvent: 600,
    entitiesPerAccount: 8,
  });
});
afterAll(async () => {
  await sim?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The bytes of page `p` (0-based) in the reference output. */
function pageBytes(p: number): number {
  const lines = reference.split("\n").slice(p * PAGE, (p + 1) * PAGE);
  return Buffer.byteLength(lines.map((l) => `${l}\n`).join(""));
}

describe("a wide organization", () => {
  it("is backfilled exactly: every event once, with all its accounts, descriptions and entities", async () => {
    const dir = dirOf();
    const run = await runScript(ARGS, { cwd: dir, env: awsEnv(sim.url) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/✓ Complete: 60 events in 3 pages/);
    const check = await checkOutput(join(dir, "out.ndjson"), sim.dataset);
    expect(check.mismatch).toBeUndefined();
    expect(check.bytes).toBeGreaterThan(6_000_000);
    expect(sim.dataset.some((e) => e.accounts.length === 600)).toBe(true);
    reference = readFileSync(join(dir, "out.ndjson"), "utf8");
  }, 120_000);

  it("killed while a page is written in parts, resumes to exactly the same output", async () => {
    expect(reference).toBeDefined();
    const dir = dirOf();
    const output = join(dir, "out.ndjson");
    const checkpoint = join(dir, "out.ndjson.checkpoint.json");
    // The first run is killed right after the first part of its first page is durable, before that
    // page's checkpoint: the output holds lines past the checkpoint (there is none yet), at most the page.
    // (A part usually holds some of the page; under load the rest of the page may be in it too.)
    const first = await runScript(ARGS, {
      cwd: dir,
      env: { ...awsEnv(sim.url), HEALTH_BACKFILL_KILL_AT: "part-written:1" },
    });
    expect(first.signal, first.stderr).toBe("SIGKILL");
    expect(existsSync(checkpoint)).toBe(false);
    const written = statSync(output).size;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(pageBytes(0));
    // Then killed at parts of later pages: a resumed run cuts the part back and writes the page again.
    for (const n of [2, 3]) {
      const run = await runScript(ARGS, {
        cwd: dir,
        env: { ...awsEnv(sim.url), HEALTH_BACKFILL_KILL_AT: `part-written:${n}` },
      });
      // How many parts a page is written in depends on how fast its details come: a resumed run may
      // finish before the n-th part. The output is checked at the end either way.
      if (run.code === 0) break;
      expect(run.signal, run.stderr).toBe("SIGKILL");
      const cp = existsSync(checkpoint)
        ? (JSON.parse(readFileSync(checkpoint, "utf8")) as Checkpoint)
        : undefined;
      const extra = statSync(output).size - (cp?.output.bytes ?? 0);
      expect(extra).toBeGreaterThan(0);
      expect(extra).toBeLessThanOrEqual(pageBytes(cp?.pages ?? 0));
    }
    const last = await runScript(ARGS, { cwd: dir, env: awsEnv(sim.url) });
    expect(last.code, last.stderr).toBe(0);
    expect(readFileSync(output, "utf8")).toBe(reference);
  }, 180_000);
});
