import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.ts";
import { awsEnv, runScript } from "../support/script.ts";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulator(o: SimulatorOptions) {
  sim = await startSimulator({ seed: 3, ...o });
  return sim;
}

const dirOf = () => mkdtempSync(join(tmpdir(), "script-"));
const read = (dir: string, file = "out.ndjson") => readFileSync(join(dir, file), "utf8");
const arnsOf = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);

/** A backfill of 10-event pages killed (SIGKILL) right after its fourth checkpoint. */
async function killedAfterFourPages(s: Simulator): Promise<{ dir: string; args: string[] }> {
  const dir = dirOf();
  const args = ["--page-size", "10", "--details", "none", "--output", "out.ndjson"];
  await runScript(args, {
    cwd: dir,
    env: { ...awsEnv(s.url), HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:4" },
  });
  return { dir, args };
}

describe("the script", () => {
  it("rejects bad input with exit 2 and one line, and destroys nothing", async () => {
    const dir = dirOf();
    writeFileSync(join(dir, "out.ndjson"), "precious\n");
    writeFileSync(join(dir, "out.ndjson.checkpoint.json"), "{}");
    for (const args of [
      ["--page-size", "101"],
      ["--region", "us-west-2"],
      ["--since", "last week"],
      ["--filter", '{"services":"EC2"}'],
      ["--details", "everything"],
      ["--no-such-flag"],
      ["--restart", "--scope", "everyone"],
    ]) {
      const run = await runScript([...args, "--output", "out.ndjson"], { cwd: dir });
      expect(run.code, args.join(" ")).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^health-backfill: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(read(dir)).toBe("precious\n");
    expect(read(dir, "out.ndjson.checkpoint.json")).toBe("{}");
  });

  it("a restart says the checkpoint goes when the first page arrives; one that fails before keeps it and says nothing else", async () => {
    const s = await simulator({ events: 100, latencyMs: 1 });
    const { dir, args } = await killedAfterFourPages(s);
    const checkpoint = read(dir, "out.ndjson.checkpoint.json");
    const output = read(dir);
    const failed = await runScript([...args, "--restart"], { cwd: dir, env: awsEnv("http://127.0.0.1:1") });
    expect(failed.code, failed.stderr).toBe(4);
    expect(failed.stderr).toContain(
      "Restart: the checkpoint out.ndjson.checkpoint.json is discarded when the first page arrives.",
    );
    // Nothing was discarded, so no line may say it was.
    expect(failed.stderr).not.toMatch(/Discarded|discarded(?! when the first page arrives)/);
    expect(read(dir, "out.ndjson.checkpoint.json")).toBe(checkpoint);
    expect(read(dir)).toBe(output);
    const done = await runScript([...args, "--restart"], { cwd: dir, env: awsEnv(s.url) });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/is discarded when the first page arrives\.\n[\s\S]*\npage 1: /);
    expect(existsSync(join(dir, "out.ndjson.checkpoint.json"))).toBe(false);
    expect(arnsOf(read(dir))).toHaveLength(100);
  });

  it("prints help with every flag", async () => {
    const run = await runScript(["--help"], { cwd: dirOf() });
    expect(run.code).toBe(0);
    for (const flag of [
      "scope",
      "region",
      "since",
      "until",
      "filter",
      "page-size",
      "details",
      "output",
      "checkpoint",
      "max-checkpoint-age",
      "restart",
      "simulate",
    ]) {
      expect(run.stdout).toContain(`--${flag}`);
    }
  });

  it("Ctrl-C saves progress, exits 130 and says how to resume; the same command resumes", async () => {
    const s = await simulator({ events: 600, latencyMs: 20 });
    const dir = dirOf();
    const args = ["--page-size", "20", "--details", "none", "--output", "out.ndjson"];
    const first = await runScript(args, {
      cwd: dir,
      env: awsEnv(s.url),
      signalWhen: { pattern: /page 5:/, signal: "SIGINT" },
    });
    expect(readFileSync(join(dir, "out.ndjson.checkpoint.json"), "utf8")).not.toMatch(
      /AKIDBACKFILLTEST|wJalrXUtnFEMIbackfillTESTKEY/,
    );
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(
      /Interrupted after page \d+; progress is saved in out\.ndjson\.checkpoint\.json\. Run the same command again to resume\.$/m,
    );
    const second = await runScript(args, { cwd: dir, env: awsEnv(s.url) });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(
      /Resuming from page \d+: \d+ events already written, token received at \S+Z/,
    );
    expect(second.stderr).toMatch(/✓ Complete: 600 events in 30 pages/);
    // Nothing of the credentials reaches the checkpoint, the output or the logs.
    for (const text of [first.stderr, second.stderr, read(dir)])
      expect(text).not.toMatch(/AKIDBACKFILLTEST|wJalrXUtnFEMIbackfillTESTKEY/);
    expect(arnsOf(read(dir))).toEqual(s.dataset.map((e) => e.arn));
  });

  it("SIGTERM behaves like Ctrl-C", async () => {
    const s = await simulator({ events: 300, latencyMs: 20 });
    const dir = dirOf();
    const run = await runScript(["--page-size", "10", "--details", "none", "--output", "out.ndjson"], {
      cwd: dir,
      env: awsEnv(s.url),
      signalWhen: { pattern: /page 3:/, signal: "SIGTERM" },
    });
    expect(run.code).toBe(130);
    expect(JSON.parse(read(dir, "out.ndjson.checkpoint.json")).pages).toBeGreaterThanOrEqual(3);
  });

  it("refuses an expired checkpoint before any API call, exit 3, nothing deleted", async () => {
    const s = await simulator({ events: 200, latencyMs: 5 });
    const { dir, args } = await killedAfterFourPages(s);
    const cpPath = join(dir, "out.ndjson.checkpoint.json");
    const cp = JSON.parse(readFileSync(cpPath, "utf8"));
    cp.timestamp = new Date(Date.now() - 25 * 3600_000).toISOString();
    writeFileSync(cpPath, JSON.stringify(cp));
    const before = [readFileSync(cpPath, "utf8"), read(dir)];
    const requests = s.stats.requests;
    const run = await runScript(args, { cwd: dir, env: awsEnv(s.url) });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /is 25\.0 hours old .* cannot be resumed\. Nothing was deleted\. Start again from the first page with --restart\.$/m,
    );
    expect(s.stats.requests).toBe(requests);
    expect([readFileSync(cpPath, "utf8"), read(dir)]).toEqual(before);
    const restarted = await runScript([...args, "--restart"], { cwd: dir, env: awsEnv(s.url) });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(arnsOf(read(dir))).toEqual(s.dataset.map((e) => e.arn));
  });

  it("refuses an output whose last line before the checkpoint is another event: exit 3, nothing deleted", async () => {
    const s = await simulator({ events: 200, latencyMs: 5 });
    const { dir, args } = await killedAfterFourPages(s);
    const cpPath = join(dir, "out.ndjson.checkpoint.json");
    const { output } = JSON.parse(readFileSync(cpPath, "utf8"));
    expect(output.lastArn).toBe(s.dataset[39]?.arn);
    // An output replaced by another backfill's: the same length and line ends, other events.
    const text = read(dir);
    const rows = text.slice(0, output.bytes).split("\n");
    [rows[rows.length - 2], rows[rows.length - 3]] = [rows.at(-3) as string, rows.at(-2) as string];
    writeFileSync(join(dir, "out.ndjson"), rows.join("\n") + text.slice(output.bytes));
    const before = [readFileSync(cpPath, "utf8"), read(dir)];
    const requests = s.stats.requests;
    const run = await runScript(args, { cwd: dir, env: awsEnv(s.url) });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /does not end at byte \d+ with the event the checkpoint recorded last .* the file was replaced or edited since\. Nothing was deleted\. Restore the output file, or start again from the first page with --restart\.$/m,
    );
    expect(s.stats.requests).toBe(requests);
    expect([readFileSync(cpPath, "utf8"), read(dir)]).toEqual(before);
  });

  it("continues by time when the API refuses the checkpoint's token (InvalidPaginationToken): every event once", async () => {
    let clock = Date.now();
    const s = await simulator({ events: 200, latencyMs: 5, now: () => clock });
    const dir = dirOf();
    const args = [
      "--page-size",
      "10",
      "--details",
      "none",
      "--output",
      "out.ndjson",
      "--max-checkpoint-age",
      "48h",
    ];
    await runScript(args, {
      cwd: dir,
      env: { ...awsEnv(s.url), HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:3" },
    });
    clock += 25 * 3600_000; // the server's tokens expire after 24 h; our limit was raised to 48 h
    const run = await runScript(args, { cwd: dir, env: awsEnv(s.url) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /⚠ The API refused the pagination token of the checkpoint out\.ndjson\.checkpoint\.json \(received \S+; .*InvalidPaginationToken.*\): continuing by time instead, from the last event written \(lastUpdatedTime \S+, leaving out the 1 event of that instant already written\)\./,
    );
    expect(arnsOf(read(dir))).toEqual(s.dataset.map((e) => e.arn));
  });

  it("an expired checkpoint continues by time with --expired continue, and not by default", async () => {
    const s = await simulator({ events: 200, latencyMs: 5 });
    const { dir, args } = await killedAfterFourPages(s);
    const cpPath = join(dir, "out.ndjson.checkpoint.json");
    const cp = JSON.parse(readFileSync(cpPath, "utf8"));
    cp.timestamp = new Date(Date.now() - 30 * 3600_000).toISOString();
    writeFileSync(cpPath, JSON.stringify(cp));
    expect((await runScript(args, { cwd: dir, env: awsEnv(s.url) })).code).toBe(3);
    const run = await runScript([...args, "--expired", "continue"], { cwd: dir, env: awsEnv(s.url) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /⚠ The checkpoint out\.ndjson\.checkpoint\.json is 30\.0 hours old \(its token was received at \S+\): continuing by time, as expired: continue asks, from the last event written/,
    );
    expect(arnsOf(read(dir))).toEqual(s.dataset.map((e) => e.arn));
    const bad = await runScript([...args, "--expired", "maybe"], { cwd: dir, env: awsEnv(s.url) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^health-backfill: Invalid expired: "maybe"\. Allowed: fail, continue\./m);
  });

  it("rides out a throttling storm and 5xx/connection faults, and completes exactly", async () => {
    const s = await simulator({
      events: 500,
      latencyMs: 2,
      rateLimit: 40,
      burst: 4,
      errorRate: 0.1,
      dropRate: 0.03,
    });
    const dir = dirOf();
    const run = await runScript(["--page-size", "50", "--output", "out.ndjson"], {
      cwd: dir,
      env: awsEnv(s.url),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(arnsOf(read(dir))).toEqual(s.dataset.map((e) => e.arn));
    expect(s.stats.throttled).toBeGreaterThan(0);
    expect(s.stats.errors + s.stats.dropped).toBeGreaterThan(0);
  }, 120_000);

  it.each([
    [
      { organizationalView: "DISABLED" as const },
      /Organizational view of AWS Health is DISABLED .*enable-health-service-access-for-organization/,
    ],
    [
      { subscription: false },
      /SubscriptionRequiredException: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise Support plan/,
    ],
    [{ accessDenied: true }, /AccessDeniedException: .*health:Describe\* permissions/],
  ])("preflight says what to do: %j", async (faults, message) => {
    const s = await simulator({ events: 10, ...faults });
    const run = await runScript(["--output", "out.ndjson"], { cwd: dirOf(), env: awsEnv(s.url) });
    // Setup: someone must grant or enable something; running again does not help.
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/run the same command again/i);
    expect(run.stderr.trim().split("\n").at(-1)).toMatch(message);
  });

  it("--simulate runs the whole program against the built-in simulator", async () => {
    const dir = dirOf();
    const run = await runScript(
      ["--simulate", "300", "--scope", "account", "--details", "entities", "--output", "out.ndjson"],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/from the built-in simulator \(300 events/);
    const records = read(dir)
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => Array.isArray(r.details) && Array.isArray(r.entities))).toBe(true);
  });
});
