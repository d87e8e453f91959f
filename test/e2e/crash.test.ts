import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { awsEnv, runScript } from "../support/script.ts";

/**
 * The exactly-once invariant, with the real bundled script killed by SIGKILL: for any sequence of kill
 * points (at named moments of a write, or at random times), running the same command until it
 * completes leaves an output equal to an uninterrupted run's, and that run's equal to the simulator's
 * dataset.
 */
const POINTS = [
  "page-half-written",
  "page-written",
  "checkpoint-temp-written",
  "checkpoint-temp-synced",
  "checkpoint-renamed",
];
const ARGS = ["--page-size", "40", "--details", "description", "--output", "out.ndjson"];

/** Files a run leaves besides the output: none but the output itself once it completed. */
const leftovers = (dir: string) => readdirSync(dir).filter((name) => name !== "out.ndjson");

let sim: Simulator;
let reference: string;
let killed = 0;
const pointsHit = new Set<string>();

beforeAll(async () => {
  sim = await startSimulator({ events: 400, seed: 11, latencyMs: 3 });
  const dir = mkdtempSync(join(tmpdir(), "crash-ref-"));
  const run = await runScript(ARGS, { cwd: dir, env: awsEnv(sim.url) });
  expect(run.code, run.stderr).toBe(0);
  reference = readFileSync(join(dir, "out.ndjson"), "utf8");
});

afterAll(async () => {
  await sim?.close();
  console.info(`crash test: ${killed} SIGKILLs, named points hit: ${[...pointsHit].sort().join(", ")}`);
});

describe("crash and resume", () => {
  it("the uninterrupted output is the simulator's dataset, every event once, with its details", () => {
    const records = reference
      .split("\n")
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { arn: string; affectedAccounts: string[]; details: { awsAccountId?: string }[] },
      );
    expect(records.map((r) => r.arn)).toEqual(sim.dataset.map((e) => e.arn));
    for (const [i, r] of records.entries()) {
      const event = sim.dataset[i];
      expect(r.affectedAccounts).toEqual(event?.accounts);
      expect(r.details.map((d) => d.awsAccountId ?? "")).toEqual(
        event?.accounts.length ? event.accounts : [""],
      );
    }
  });

  it.each(POINTS)(
    "kill -9 at %s, three times in a row, then resume: exactly the full result",
    async (point) => {
      const dir = mkdtempSync(join(tmpdir(), "crash-point-"));
      try {
        for (const n of [1, 4, 2]) {
          const run = await runScript(ARGS, {
            cwd: dir,
            env: { ...awsEnv(sim.url), HEALTH_BACKFILL_KILL_AT: `${point}:${n}` },
          });
          expect(run.signal, run.stderr).toBe("SIGKILL");
          killed += 1;
          pointsHit.add(point);
        }
        const last = await runScript(ARGS, { cwd: dir, env: awsEnv(sim.url) });
        expect(last.code, last.stderr).toBe(0);
        expect(last.stderr).toMatch(/Resuming from page/);
        expect(readFileSync(join(dir, "out.ndjson"), "utf8")).toBe(reference);
        expect(leftovers(dir)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  const kill = fc.oneof(
    fc.record({ point: fc.constantFrom(...POINTS), n: fc.integer({ min: 1, max: 11 }) }),
    fc.record({ afterMs: fc.integer({ min: 100, max: 1500 }) }),
  );

  it("kill -9 at any point, any number of times: the final output equals the full result exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kill, { minLength: 1, maxLength: 4 }), async (kills) => {
        const dir = mkdtempSync(join(tmpdir(), "crash-"));
        try {
          for (const k of kills) {
            const env = {
              ...awsEnv(sim.url),
              ...("point" in k ? { HEALTH_BACKFILL_KILL_AT: `${k.point}:${k.n}` } : {}),
            };
            const run = await runScript(ARGS, {
              cwd: dir,
              env,
              ...("afterMs" in k ? { killAfterMs: k.afterMs } : {}),
            });
            if (run.signal === "SIGKILL") {
              killed += 1;
              if ("point" in k) pointsHit.add(k.point);
            } else {
              expect(run.code, run.stderr).toBe(0);
            }
          }
          const last = await runScript(ARGS, { cwd: dir, env: awsEnv(sim.url) });
          expect(last.code, last.stderr).toBe(0);
          expect(readFileSync(join(dir, "out.ndjson"), "utf8")).toBe(reference);
          expect(existsSync(join(dir, "out.ndjson.checkpoint.json"))).toBe(false);
          expect(leftovers(dir)).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
    // The plans are random; most of their kills land before a run ends.
    expect(killed).toBeGreaterThanOrEqual(15 + 10);
  }, 300_000);
});
