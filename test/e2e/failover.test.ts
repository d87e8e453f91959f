import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.ts";
import { awsEnv, runScript } from "../support/script.ts";

/**
 * AWS Health's active/passive failover, through the bundled script: `region: auto` looks up the active
 * region where the global endpoint's CNAME would name it (the simulator's `/global-cname`, standing in
 * for DNS), and the simulator binds every token to the region that issued it.
 */
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulator(o: SimulatorOptions): Promise<Simulator> {
  sim = await startSimulator({ seed: 12, ...o });
  return sim;
}

const dirOf = () => mkdtempSync(join(tmpdir(), "failover-"));
const ARGS = ["--page-size", "10", "--details", "none", "--output", "out.ndjson"];
const env = (s: Simulator) => ({
  ...awsEnv(s.url),
  HEALTH_BACKFILL_TEST_GLOBAL_CNAME: `${s.url}/global-cname`,
});
const arns = (dir: string) =>
  readFileSync(join(dir, "out.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);

describe("failover between AWS Health's regions", () => {
  it("between attempts: the checkpoint's token is the old region's, so the run continues by time in the new one", async () => {
    const s = await simulator({ events: 200, latencyMs: 2 });
    const dir = dirOf();
    const first = await runScript(ARGS, {
      cwd: dir,
      env: { ...env(s), HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:4" },
    });
    expect(first.signal).toBe("SIGKILL");
    expect(first.stderr).toContain(
      ", region us-east-1 (active, from global.health.amazonaws.com) into out.ndjson",
    );
    s.faults.activeRegion = "us-east-2";
    const second = await runScript(ARGS, { cwd: dir, env: env(s) });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(
      /⚠ The active AWS Health region changed from us-east-1 to us-east-2, and a pagination token belongs to the region that issued it: continuing by time in us-east-2, from the last event written \(lastUpdatedTime \S+, leaving out the \d+ events? of that instant already written\)\./,
    );
    expect(arns(dir)).toEqual(s.dataset.map((e) => e.arn));
    expect(s.stats.byRegion["us-east-2"]).toBeGreaterThan(10);
  }, 60_000);

  it("kill -9 during a continuation by time, at any write: the next run resumes it exactly", async () => {
    const s = await simulator({ events: 300, latencyMs: 1 });
    for (const kill of ["page-half-written:3", "checkpoint-temp-written:2", "checkpoint-renamed:4"]) {
      s.faults.activeRegion = "us-east-1";
      const dir = dirOf();
      const first = await runScript(ARGS, {
        cwd: dir,
        env: { ...env(s), HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:5" },
      });
      expect(first.signal).toBe("SIGKILL");
      s.faults.activeRegion = "us-east-2";
      const cut = await runScript(ARGS, { cwd: dir, env: { ...env(s), HEALTH_BACKFILL_KILL_AT: kill } });
      expect(cut.signal, `${kill}: ${cut.stderr}`).toBe("SIGKILL");
      expect(cut.stderr).toContain("continuing by time in us-east-2");
      const last = await runScript(ARGS, { cwd: dir, env: env(s) });
      expect(last.code, `${kill}: ${last.stderr}`).toBe(0);
      // The continuation's checkpoint holds its cursor and the new region's token: no second warning.
      expect(last.stderr).not.toContain("continuing by time");
      expect(arns(dir), kill).toEqual(s.dataset.map((e) => e.arn));
    }
  }, 90_000);

  it("mid-run: seen within 10 seconds, after the page in hand, and continued by time in the new region", async () => {
    const s = await simulator({ events: 600, latencyMs: 250 });
    const dir = dirOf();
    let switched = false;
    const run = await runScript(ARGS, {
      cwd: dir,
      env: env(s),
      onStderr: (text) => {
        if (!switched && /^page 3:/m.test(text)) {
          switched = true;
          s.faults.activeRegion = "us-east-2";
        }
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(switched).toBe(true);
    expect(run.stderr).toContain("The active AWS Health region changed from us-east-1 to us-east-2");
    expect(arns(dir)).toEqual(s.dataset.map((e) => e.arn));
    expect(s.stats.byRegion["us-east-2"]).toBeGreaterThan(0);
  }, 90_000);

  it("the global name cannot be resolved: us-east-1, and the start line says why", async () => {
    const s = await simulator({ events: 50, latencyMs: 1 });
    const dir = dirOf();
    const run = await runScript(ARGS, {
      cwd: dir,
      env: { ...awsEnv(s.url), HEALTH_BACKFILL_TEST_GLOBAL_CNAME: "http://127.0.0.1:1/global-cname" },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /, region us-east-1 \(global\.health\.amazonaws\.com could not be resolved \(.+\): using us-east-1\) into out\.ndjson\n/,
    );
    expect(arns(dir)).toEqual(s.dataset.map((e) => e.arn));
  }, 30_000);
});
