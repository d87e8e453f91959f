import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { CacheApi } from "../../src/action/cache/api.ts";
import { run } from "../../src/action/main.ts";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { MemoryCache } from "../fakes/memory-cache.ts";
import { parseFileCommands } from "../support/runner.ts";
import { awsEnv } from "../support/script.ts";

/**
 * The action's main step in-process: `run()` with the INPUT_* variables and file commands a runner
 * gives it, an in-memory Actions cache, and the real SDK against the simulator. Fast where
 * test/e2e/action is faithful (the bundle under Node 24, the real @actions/cache and its protocol).
 */
const EVENTS = 240;
const PAGES = 12;
const INPUTS = { "page-size": String(EVENTS / PAGES), details: "none", "cache-save-interval": "0s" };

let sim: Simulator;
let root: string;
/** One runner machine: the same paths in every attempt, emptied between attempts. */
let machine: {
  workspace: string;
  temp: string;
  output: string;
  files: { output: string; state: string; summary: string };
};
let runId = 0;
/** What the step wrote to stdout (the log the runner shows). */
let stdout: string;
/** Called with each write to stdout, after it is added to `stdout`. */
let onWrite: ((text: string) => void) | undefined;

beforeAll(async () => {
  sim = await startSimulator({ events: EVENTS, seed: 31 });
  root = mkdtempSync(join(tmpdir(), "action-run-"));
  const workspace = join(root, "workspace");
  machine = {
    workspace,
    temp: join(root, "runner-temp"),
    output: join(workspace, "health-events.ndjson"),
    // @actions/core keeps the summary's path once it has written there: one set of files for the file.
    files: {
      output: join(root, "github-output"),
      state: join(root, "github-state"),
      summary: join(root, "step-summary"),
    },
  };
});
afterAll(async () => {
  await sim.close();
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  runId += 1;
  onWrite = undefined;
  vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    stdout += text;
    onWrite?.(text);
    return true;
  }) as typeof process.stdout.write);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  Object.assign(sim.faults, { accessDenied: false, latencyMs: 0 });
});

interface Attempt {
  readonly exitCode: string | number | null | undefined;
  readonly stdout: string;
  readonly outputs: Record<string, string>;
  readonly state: Record<string, string>;
  readonly summary: string;
}

/** Attempt `n` of this test's workflow run on a fresh runner, the main step as the runner runs it. */
async function attempt(
  n: number,
  cache: CacheApi | undefined,
  inputs: Record<string, string> = {},
): Promise<Attempt> {
  for (const dir of [machine.workspace, machine.temp]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  for (const file of Object.values(machine.files)) writeFileSync(file, "");
  vi.unstubAllEnvs();
  const given = { ...INPUTS, output: machine.output, ...inputs };
  const env: Record<string, string> = {
    ...awsEnv(sim.url),
    GITHUB_JOB: "backfill",
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: String(n),
    RUNNER_TEMP: machine.temp,
    GITHUB_OUTPUT: machine.files.output,
    GITHUB_STATE: machine.files.state,
    GITHUB_STEP_SUMMARY: machine.files.summary,
    ...Object.fromEntries(
      Object.entries(given).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  stdout = "";
  process.exitCode = undefined;
  await run({ cache });
  const ended: Attempt = {
    exitCode: process.exitCode,
    stdout,
    outputs: parseFileCommands(readFileSync(machine.files.output, "utf8")),
    state: parseFileCommands(readFileSync(machine.files.state, "utf8")),
    summary: readFileSync(machine.files.summary, "utf8"),
  };
  process.exitCode = undefined;
  return ended;
}

/** Once stdout shows `pattern`, does what a runner's SIGINT does: calls the handlers the step added. */
function cancelAt(pattern: RegExp): void {
  const before = process.listeners("SIGINT");
  onWrite = () => {
    if (!pattern.test(stdout)) return;
    onWrite = undefined;
    for (const handler of process.listeners("SIGINT").filter((h) => !before.includes(h))) {
      (handler as (signal: NodeJS.Signals) => void)("SIGINT");
    }
  };
}

/** Once stdout shows `pattern`, AWS Health refuses every further call. */
function denyAt(pattern: RegExp): void {
  onWrite = () => {
    if (!pattern.test(stdout)) return;
    onWrite = undefined;
    sim.faults.accessDenied = true;
  };
}

const lines = (step: Attempt, prefix: string) => step.stdout.split("\n").filter((l) => l.startsWith(prefix));
const arns = () =>
  readFileSync(machine.output, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
const all = () => sim.dataset.map((e) => e.arn);
const lists = () => sim.stats.byOperation.DescribeEventsForOrganization ?? 0;

/** The checkpoint file of a cache entry, parsed. */
function checkpointIn(cache: MemoryCache, key: string): Record<string, unknown> {
  const [file] = [...cache.files(key)].filter(([path]) => path.endsWith("checkpoint.json"));
  return JSON.parse(file?.[1].toString("utf8") ?? "null") as Record<string, unknown>;
}

/** Attempt 2 of the run on a fresh runner continues after the last page attempt 1 stored. */
async function resumes(cache: MemoryCache, first: Attempt): Promise<void> {
  const saved = Number(first.outputs.pages);
  const key = first.outputs["checkpoint-key"] ?? "";
  expect(checkpointIn(cache, key)).toMatchObject({ pages: saved });
  const before = lists();
  const second = await attempt(2, cache);
  expect(second.exitCode, second.stdout).toBeUndefined();
  expect(second.stdout).toMatch(
    new RegExp(
      `^Restored the checkpoint of page ${saved} and its \\d+ segments \\(.*\\) from the Actions cache: ${key}$`,
      "m",
    ),
  );
  expect(second.outputs).toMatchObject({ resumed: "true", events: String(EVENTS), pages: String(PAGES) });
  expect(second.summary).toContain(`| Resumed | yes, from page ${saved + 1} (`);
  expect(lists() - before).toBe(PAGES - saved);
  expect(arns()).toEqual(all());
}

describe("the action's main step, in-process with a fake cache", () => {
  it("a first attempt backs up every event once, leaves a completion mark in the cache and sets the outputs", async () => {
    const cache = new MemoryCache();
    const done = await attempt(1, cache);
    expect(done.exitCode, done.stdout).toBeUndefined();
    const key = cache.saves.at(-1);
    expect(key).toMatch(new RegExp(`^health-backfill-backfill-null-[0-9a-f]{16}-${runId}-1-\\d{6}$`));
    expect(done.outputs).toEqual({
      events: String(EVENTS),
      pages: String(PAGES),
      output: machine.output,
      resumed: "false",
      "checkpoint-key": key,
      "window-from": "",
      "window-to": expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(arns()).toEqual(all());
    // The newest entry marks the backfill complete, so a later attempt of this run starts fresh.
    expect(checkpointIn(cache, key ?? "")).toMatchObject({ complete: true, events: EVENTS, pages: PAGES });
    // A first attempt has nothing to continue: it restores nothing.
    expect(cache.restores).toEqual([]);
    expect(done.state).toMatchObject({ "post-key": `${key?.replace(/\d{6}$/, "")}post`, finished: "true" });
    expect(done.summary).toContain("### ✅ AWS Health backfill complete");
    expect(lines(done, "::warning::")).toEqual([]);
    expect(readdirSync(machine.workspace)).toEqual(["health-events.ndjson"]);
  });

  it("cancelled after a few pages, it saves to the cache; the re-run continues and writes every event once", async () => {
    const cache = new MemoryCache();
    cancelAt(/^page 4:/m);
    const first = await attempt(1, cache);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("SIGINT: cancelling; saving progress to the Actions cache.\n");
    const saved = Number(first.outputs.pages);
    expect(saved).toBeGreaterThanOrEqual(4);
    expect(saved).toBeLessThan(PAGES);
    expect(first.outputs.events).toBe(String(saved * (EVENTS / PAGES)));
    expect(lines(first, "::error::")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::error::Interrupted after page ${saved}; .*The job was cancelled\\. Press "Re-run failed jobs" to continue from page ${saved + 1} `,
        ),
      ),
    ]);
    await resumes(cache, first);
  });

  it("failed mid-way (access denied), it says what to grant and where a re-run continues; the re-run does", async () => {
    const cache = new MemoryCache();
    // Pages are listed ahead of the writer; slow answers keep the listing near the page being written.
    sim.faults.latencyMs = 25;
    denyAt(/^page 5:/m);
    const first = await attempt(1, cache);
    expect(first.exitCode).toBe(1);
    const saved = Number(first.outputs.pages);
    expect(saved).toBeGreaterThanOrEqual(5);
    expect(saved).toBeLessThan(PAGES);
    expect(lines(first, "::error::")).toEqual([
      expect.stringMatching(
        new RegExp(
          `Grant or enable what the message names: until then every run fails the same way\\. Once that is done, Press "Re-run failed jobs" to continue from page ${saved + 1} `,
        ),
      ),
    ]);
    sim.faults.accessDenied = false;
    await resumes(cache, first);
  });

  it("without a cache: one warning, a complete backfill on the local checkpoint, nothing for the post step", async () => {
    const done = await attempt(1, undefined);
    expect(done.exitCode, done.stdout).toBeUndefined();
    expect(lines(done, "::warning::")).toEqual([
      "::warning::The Actions cache service is not available: this attempt is protected by its local checkpoint only, and a re-run would start from the first page.",
    ]);
    expect(done.outputs).toMatchObject({
      events: String(EVENTS),
      pages: String(PAGES),
      resumed: "false",
      "checkpoint-key": "",
    });
    expect(done.state).toEqual({ finished: "true" });
    expect(done.summary).toContain("| Cache uploads | none: the Actions cache is not available |");
    expect(arns()).toEqual(all());
  });

  it("without a cache, a cancelled attempt does not claim to save to it, and says a re-run starts over", async () => {
    cancelAt(/^page 3:/m);
    const first = await attempt(1, undefined);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("SIGINT: cancelling; stopping after the page in progress.\n");
    expect(lines(first, "::error::")).toEqual([
      expect.stringMatching(
        /The job was cancelled\. The Actions cache is not available, so a re-run starts from the first page\.$/,
      ),
    ]);
  });

  it("a bad input fails the step with one error naming the input, before any call to AWS or the cache", async () => {
    const cache = new MemoryCache();
    const requests = sim.stats.requests;
    const failed = await attempt(1, cache, { "page-size": "500" });
    expect(failed.exitCode).toBe(1);
    expect(lines(failed, "::error::")).toEqual([
      '::error::Invalid page-size: "500". Allowed: a whole number from 1 to 100. Fix the input in the workflow and start a new workflow run: a re-run keeps the inputs of its run.',
    ]);
    // The path is an output even so, for a later step that uploads whatever is there.
    expect(failed.outputs.output).toBe(machine.output);
    expect(sim.stats.requests).toBe(requests);
    expect([...cache.saves, ...cache.restores]).toEqual([]);
  });
});
