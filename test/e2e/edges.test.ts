import { execFileSync } from "node:child_process";
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { hungEndpoint } from "../support/endpoints.ts";
import { awsEnv, lastLine, runScript, type ScriptResult } from "../support/script.ts";

/**
 * The edges of the script (issue "Nothing lost, nothing hung"): what a failed start, a second run,
 * odd paths and a hung endpoint do to files the user already has. All through the bundled script.
 */
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const dirOf = () => mkdtempSync(join(tmpdir(), "edges-"));
const OUT = ["--output", "out.ndjson"];
const FAST = ["--page-size", "20", "--details", "none", ...OUT];
const arnsOf = (dir: string) =>
  readFileSync(join(dir, "out.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { arn: string }).arn);
/** Every file of a folder with its bytes (folders as a marker), to compare before and after. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { withFileTypes: true }).map((f) => [
      f.name,
      f.isDirectory() ? "(folder)" : readFileSync(join(dir, f.name)).toString("base64"),
    ]),
  );

describe("files the user already has", () => {
  it("a complete output survives every way a start can fail, byte for byte", async () => {
    sim = await startSimulator({ events: 200, seed: 5, latencyMs: 2 });
    const s = sim;
    const dir = dirOf();
    expect((await runScript(["--page-size", "50", ...OUT], { cwd: dir, env: awsEnv(s.url) })).code).toBe(0);
    const before = snapshot(dir);
    const noCredentials = {
      AWS_ENDPOINT_URL_HEALTH: s.url,
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      HOME: dirOf(),
    };
    const starts: [string, string[], Record<string, string>, number, RegExp, (() => void)?][] = [
      ["endpoint refuses connections", [], awsEnv("http://127.0.0.1:1"), 4, /refused the connection/],
      ["no credentials", [], noCredentials, 4, /No AWS credentials found/],
      [
        "organizational view disabled",
        [],
        awsEnv(s.url),
        4,
        /DISABLED/,
        () => (s.faults.organizationalView = "DISABLED"),
      ],
      ["access denied", [], awsEnv(s.url), 4, /AccessDeniedException/, () => (s.faults.accessDenied = true)],
      [
        "no support plan",
        [],
        awsEnv(s.url),
        4,
        /SubscriptionRequiredException/,
        () => (s.faults.subscription = false),
      ],
      [
        "a locale the API refuses",
        ["--locale", "de"],
        awsEnv(s.url),
        2,
        /UnsupportedLocale: .*refused the request as invalid/,
      ],
      [
        "an endpoint that is not a URL",
        [],
        awsEnv("localhost:4566"),
        2,
        /Invalid AWS_ENDPOINT_URL_HEALTH: "localhost:4566"/,
      ],
      [
        "restart against a refusing endpoint",
        ["--restart"],
        awsEnv("http://127.0.0.1:1"),
        4,
        /refused the connection/,
      ],
    ];
    for (const [name, args, env, code, message, breakIt] of starts) {
      Object.assign(s.faults, { organizationalView: "ENABLED", accessDenied: false, subscription: true });
      breakIt?.();
      const run = await runScript(["--page-size", "50", ...OUT, ...args], { cwd: dir, env });
      expect(run.code, `${name}: ${run.stderr}`).toBe(code);
      expect(lastLine(run), name).toMatch(message);
      expect(run.stderr, name).not.toMatch(/run the same command again|progress is saved/i);
      expect(snapshot(dir), name).toEqual(before);
    }
  }, 120_000);

  it("an InvalidPaginationToken on resume after a half-written page: continues by time from the checkpoint, every event once", async () => {
    let clock = Date.now();
    sim = await startSimulator({ events: 200, seed: 5, latencyMs: 2, now: () => clock });
    const dir = dirOf();
    const args = [...FAST, "--max-checkpoint-age", "48h"];
    const env = awsEnv(sim.url);
    await runScript(args, { cwd: dir, env: { ...env, HEALTH_BACKFILL_KILL_AT: "page-half-written:4" } });
    const checkpoint = JSON.parse(readFileSync(join(dir, "out.ndjson.checkpoint.json"), "utf8")) as {
      output: { bytes: number };
    };
    expect(readFileSync(join(dir, "out.ndjson")).length).toBeGreaterThan(checkpoint.output.bytes);
    clock += 25 * 3600_000;
    const run = await runScript(args, { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("continuing by time instead, from the last event written");
    // The half page after the checkpoint was cut off; the killed run's stale locks were taken over.
    expect(arnsOf(dir)).toEqual(sim.dataset.map((e) => e.arn));
    expect(Object.keys(snapshot(dir)).sort()).toEqual(["out.ndjson"]);
  });

  it("two runs on one output: one refusal naming the holder, one exact output", async () => {
    sim = await startSimulator({ events: 600, seed: 6, latencyMs: 25 });
    const dir = dirOf();
    const env = awsEnv(sim.url);
    let second: Promise<ScriptResult> | undefined;
    const first = runScript(FAST, {
      cwd: dir,
      env,
      onStderr: (text) => {
        if (!second && /page 2:/.test(text)) {
          // Another query on the same output, as two crons that overlap would be.
          second = runScript([...FAST, "--page-size", "50"], { cwd: dir, env });
        }
      },
    });
    const a = await first;
    const b = await (second as Promise<ScriptResult>);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(1);
    expect(lastLine(b)).toMatch(
      /A backfill into out\.ndjson \(pid \d+ on \S+, since \S+\) holds the lock out\.ndjson\.lock\. Wait for that run to end/,
    );
    expect(arnsOf(dir)).toEqual(sim.dataset.map((e) => e.arn));
    expect(readdirSync(dir)).toEqual(["out.ndjson"]);
  });

  it("a lock left by a killed run does not block the next one", async () => {
    sim = await startSimulator({ events: 300, seed: 7, latencyMs: 2 });
    const dir = dirOf();
    const env = awsEnv(sim.url);
    await runScript(FAST, { cwd: dir, env: { ...env, HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:3" } });
    expect(existsSync(join(dir, "out.ndjson.lock"))).toBe(true);
    const run = await runScript(FAST, { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /Took over the lock out\.ndjson\.lock: its holder \(pid \d+ on \S+\) is no longer running\./,
    );
    expect(arnsOf(dir)).toEqual(sim.dataset.map((e) => e.arn));
  });

  it("refuses paths that would destroy data, before touching anything", async () => {
    sim = await startSimulator({ events: 100, seed: 8, latencyMs: 2 });
    const env = awsEnv(sim.url);
    const dir = dirOf();
    writeFileSync(join(dir, "y.ndjson"), "precious\n");
    writeFileSync(join(dir, "file.txt"), "a file\n");
    mkdirSync(join(dir, "folder"));
    const before = snapshot(dir);
    const cases: [string[], RegExp][] = [
      [
        ["--output", "y.ndjson", "--checkpoint", "./y.ndjson"],
        /Invalid checkpoint: \.\/y\.ndjson is the same file as the output y\.ndjson\./,
      ],
      [
        ["--output", "folder"],
        /Invalid output: folder is a folder, not a regular file\. Allowed: the path of a regular file, or of none yet\./,
      ],
      [
        ["--output", "file.txt/out.ndjson"],
        /Invalid output: cannot write file\.txt\/out\.ndjson \(ENOTDIR\)/,
      ],
      [["--output", "y.ndjson", "--checkpoint", "folder"], /Invalid checkpoint: folder is a folder, not/],
      [
        ["--output", "y.ndjson", "--checkpoint", "y.ndjson.lock"],
        /Invalid checkpoint: y\.ndjson\.lock and the output y\.ndjson collide: one is where the other.s lock goes\./,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runScript(["--details", "none", ...args], { cwd: dir, env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
      expect(lastLine(run)).toMatch(message);
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it("refuses a device, a named pipe, a socket at any path it would write, and never replaces one", async () => {
    const dir = dirOf();
    execFileSync("mknod", [join(dir, "null"), "c", "1", "3"]);
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const socket = createNetServer();
    await new Promise<void>((r) => socket.listen(join(dir, "socket"), r));
    writeFileSync(join(dir, "archive.ndjson"), "");
    try {
      const cases: [string[], RegExp][] = [
        [
          ["--merge-into", "null"],
          /^health-backfill: Invalid merge-into: null is a device, not a regular file\./,
        ],
        [["--merge-into", "fifo"], /Invalid merge-into: fifo is a named pipe, not a regular file\./],
        [["--output", "null"], /Invalid output: null is a device, not a regular file\./],
        [
          ["--output", "/dev/stdout"],
          /Invalid output: \/dev\/stdout is (a device|a named pipe|a socket), not/,
        ],
        [["--checkpoint", "null", "--restart"], /Invalid checkpoint: null is a device, not a regular file\./],
        [["--checkpoint", "socket"], /Invalid checkpoint: socket is a socket, not a regular file\./],
        [["--merge-into", "archive.ndjson", "--output", "fifo"], /Invalid output: fifo is a named pipe/],
      ];
      for (const [args, message] of cases) {
        const run = await runScript(["--simulate", "50", "--output", "out.ndjson", ...args], {
          cwd: dir,
          killAfterMs: 20_000,
        });
        expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
        expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
        expect(lastLine(run)).toMatch(message);
      }
      expect(statSync(join(dir, "null")).isCharacterDevice()).toBe(true);
      expect(statSync(join(dir, "fifo")).isFIFO()).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(["archive.ndjson", "fifo", "null", "socket"]);
    } finally {
      socket.close();
    }
  }, 60_000);

  it("merges into the file a symbolic link names, and the link stays a link", async () => {
    const dir = dirOf();
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "archive.ndjson"), "");
    symlinkSync(join("real", "archive.ndjson"), join(dir, "archive.ndjson"));
    const args = ["--simulate", "60", "--details", "none", ...OUT, "--merge-into", "archive.ndjson"];
    const run = await runScript(args, { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(lstatSync(join(dir, "archive.ndjson")).isSymbolicLink()).toBe(true);
    const archived = readFileSync(join(dir, "real", "archive.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean);
    expect(archived).toHaveLength(60);
    expect(readdirSync(join(dir, "real"))).toEqual(["archive.ndjson"]);
  });

  it("refuses an archive hard-linked to the output: one file by device and inode", async () => {
    const dir = dirOf();
    const full = ["--simulate", "100", "--details", "none", ...OUT];
    expect((await runScript(full, { cwd: dir })).code).toBe(0);
    linkSync(join(dir, "out.ndjson"), join(dir, "archive.ndjson"));
    const before = snapshot(dir);
    const run = await runScript([...full, "--restart", "--merge-into", "archive.ndjson"], { cwd: dir });
    expect(run.code, run.stderr).toBe(2);
    expect(lastLine(run)).toMatch(
      /Invalid merge-into: archive\.ndjson is the same file as the output out\.ndjson\. Allowed: another path\.$/,
    );
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(join(dir, "archive.ndjson"), "utf8").split("\n").filter(Boolean)).toHaveLength(100);
  });

  it("refuses a checkpoint recorded for another output, and a simulated one of another size (exit 3)", async () => {
    sim = await startSimulator({ events: 300, seed: 9, latencyMs: 2 });
    const env = awsEnv(sim.url);
    const dir = dirOf();
    const a = ["--page-size", "20", "--details", "none", "--checkpoint", "cp.json"];
    await runScript([...a, "--output", "a.ndjson"], {
      cwd: dir,
      env: { ...env, HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:2" },
    });
    writeFileSync(join(dir, "b.ndjson"), "unrelated\n");
    const before = snapshot(dir);
    const other = await runScript([...a, "--output", "b.ndjson"], { cwd: dir, env });
    expect(other.code, other.stderr).toBe(3);
    expect(lastLine(other)).toMatch(
      /The checkpoint cp\.json belongs to the output a\.ndjson, not to b\.ndjson\. Nothing was deleted\./,
    );
    expect(snapshot(dir)["b.ndjson"]).toBe(before["b.ndjson"]);
    expect(snapshot(dir)["cp.json"]).toBe(before["cp.json"]);

    const sdir = dirOf();
    const sim2000 = ["--simulate", "2000", "--details", "none", ...OUT];
    await runScript(sim2000, { cwd: sdir, env: { HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:3" } });
    const bigger = await runScript(["--simulate", "5000", "--details", "none", ...OUT], { cwd: sdir });
    expect(bigger.code, bigger.stderr).toBe(3);
    expect(lastLine(bigger)).toMatch(/belongs to a different query .*simulate/);
    const resumed = await runScript(sim2000, { cwd: sdir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming from page 4/);
  }, 90_000);
  it("refuses a checkpoint whose event count and output bytes disagree (exit 3), output kept", async () => {
    const dir = dirOf();
    const args = ["--simulate", "200", "--page-size", "30", "--details", "none", ...OUT];
    await runScript(args, { cwd: dir, env: { HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:3" } });
    const cp = join(dir, "out.ndjson.checkpoint.json");
    const doc = JSON.parse(readFileSync(cp, "utf8")) as { processedCount: number; output: { bytes: number } };
    expect(doc.processedCount).toBe(90);
    doc.output.bytes = 0;
    writeFileSync(cp, JSON.stringify(doc));
    const before = snapshot(dir);
    const run = await runScript(args, { cwd: dir });
    expect(run.code, run.stderr).toBe(3);
    expect(lastLine(run)).toMatch(
      /The checkpoint out\.ndjson\.checkpoint\.json is unreadable: processedCount \(90\) and output\.bytes \(0\) disagree: .*Nothing was deleted\./,
    );
    const after = snapshot(dir);
    expect(after["out.ndjson"]).toBe(before["out.ndjson"]);
    expect(after["out.ndjson.checkpoint.json"]).toBe(before["out.ndjson.checkpoint.json"]);
  });
});

describe("never hang, and say only what is true", () => {
  it("a 5xx past every retry names the operation and the endpoint: exit 1, run again", async () => {
    sim = await startSimulator({ events: 50, seed: 11, latencyMs: 1, errorRate: 1 });
    const run = await runScript(FAST, { cwd: dirOf(), env: awsEnv(sim.url) });
    expect(run.code, run.stderr).toBe(1);
    expect(lastLine(run)).toMatch(
      new RegExp(
        `: DescribeHealthServiceStatusForOrganization: ${sim.url} answered HTTP 50[03] \\((InternalFailure|ServiceUnavailable)\\) after every retry: .+\\. No page was saved yet: run the same command again to retry\\.$`,
      ),
    );
  }, 60_000);

  it("SIGTERM before the first page does not claim progress was saved", async () => {
    const hung = await hungEndpoint();
    const dir = dirOf();
    const run = await runScript(OUT, {
      cwd: dir,
      env: awsEnv(hung.url),
      signalWhen: {
        pattern:
          /Backfilling AWS Health events from AWS Health at http:\/\/127\.0\.0\.1:\d+ \(custom endpoint\)/,
        signal: "SIGTERM",
      },
    });
    await hung.close();
    expect(run.code, run.stderr).toBe(130);
    expect(lastLine(run)).toBe("health-backfill: Interrupted before the first page was saved.");
    expect(existsSync(join(dir, "out.ndjson"))).toBe(false);
  });

  it("the argument parser's messages end with a full stop before See --help", async () => {
    const run = await runScript(["--no-such-flag"], { cwd: dirOf() });
    expect(run.code).toBe(2);
    expect(lastLine(run)).toMatch(
      /^health-backfill: Unknown option '--no-such-flag'\. See --help for the flags\.$/,
    );
  });

  it("a bad or empty flag value or filter is one line naming the option and what it allows (exit 2)", async () => {
    const dir = dirOf();
    const cases: [string[], RegExp][] = [
      [["--page-size", "-5"], /Invalid page-size: "-5"\. Allowed: a whole number from 1 to 100\.$/],
      [["--overlap", "-0s"], /Invalid overlap: "-0s"\. Write a duration as a whole number and a unit/],
      [["--simulate", "1e3"], /Invalid simulate: "1e3"\. Allowed: a whole number from 1 to 1000000\.$/],
      [["--output", ""], /Invalid output: the value is empty\. Give one, or leave out --output/],
      [["--since="], /Invalid since: the value is empty\./],
      [
        ["--filter", `{"services":${"[".repeat(5000)}${"]".repeat(5000)}}`],
        /Invalid filter: nested too deeply/,
      ],
      [["--filter", '{"services":["EC2"],"services":["S3"]}'], /Invalid filter: "services" appears twice/],
    ];
    for (const [args, message] of cases) {
      const run = await runScript(["--simulate", "50", ...args], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
      expect(lastLine(run)).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("accepts a checkpoint and a filter file an editor saved with a byte-order mark", async () => {
    sim = await startSimulator({ events: 200, seed: 10, latencyMs: 2 });
    const env = awsEnv(sim.url);
    const dir = dirOf();
    writeFileSync(join(dir, "filter.json"), '\uFEFF{"eventStatusCodes":["open","closed","upcoming"]}');
    const args = [...FAST, "--filter", "@filter.json"];
    await runScript(args, { cwd: dir, env: { ...env, HEALTH_BACKFILL_KILL_AT: "checkpoint-renamed:2" } });
    const cp = join(dir, "out.ndjson.checkpoint.json");
    writeFileSync(cp, `\uFEFF${readFileSync(cp, "utf8")}`);
    const run = await runScript(args, { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Resuming from page 3/);
    expect(arnsOf(dir)).toEqual(sim.dataset.map((e) => e.arn));
  });
});

describe("the endpoint the SDK uses is the endpoint the tool names and checks", () => {
  const KEYS = { AWS_ACCESS_KEY_ID: "AKIDBACKFILLTEST", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMIbackfillTEST" };
  /** A home whose ~/.aws/config holds `config`, so no file of this machine takes part. */
  const homeWith = (config = "") => {
    const home = dirOf();
    mkdirSync(join(home, ".aws"));
    writeFileSync(join(home, ".aws", "config"), config);
    return home;
  };
  const env = (more: Record<string, string>) => ({
    AWS_REGION: "us-east-1",
    ...KEYS,
    HOME: homeWith(),
    ...more,
  });
  const named = (url: string) =>
    new RegExp(`from AWS Health at ${url.replaceAll(".", "\\.")} \\(custom endpoint\\), region us-east-1`);

  it("is taken from AWS_ENDPOINT_URL and ~/.aws/config (also per service) as the SDK takes it", async () => {
    sim = await startSimulator({ events: 100, seed: 11, latencyMs: 2 });
    const url = sim.url;
    const runs: [string, Record<string, string>][] = [
      ["AWS_ENDPOINT_URL", env({ AWS_ENDPOINT_URL: url })],
      ["a blank AWS_ENDPOINT_URL_HEALTH", env({ AWS_ENDPOINT_URL_HEALTH: "", AWS_ENDPOINT_URL: url })],
      ["endpoint_url in ~/.aws/config", env({ HOME: homeWith(`[default]\nendpoint_url = ${url}\n`) })],
      [
        "a services section",
        env({
          HOME: homeWith(
            `[default]\nservices = local\n\n[services local]\nhealth =\n  endpoint_url = ${url}\n`,
          ),
        }),
      ],
    ];
    for (const [name, e] of runs) {
      const dir = dirOf();
      const run = await runScript(FAST, { cwd: dir, env: e });
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(run.stderr, name).toMatch(named(url));
      expect(arnsOf(dir), name).toEqual(sim.dataset.map((ev) => ev.arn));
    }
  });

  it("is checked before any request and named in errors, never with a password", async () => {
    const refusals: [string, Record<string, string>, number, RegExp][] = [
      [
        "not a URL",
        env({ AWS_ENDPOINT_URL: "not-a-url" }),
        2,
        /^health-backfill: Invalid endpoint for AWS Health: "not-a-url" \(from AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL or endpoint_url in the AWS config file\)\. Allowed: an http or https URL/,
      ],
      [
        "not a URL, in ~/.aws/config",
        env({ HOME: homeWith("[default]\nendpoint_url = ftp://health.example\n") }),
        2,
        /Invalid endpoint for AWS Health: "ftp:\/\/health\.example"/,
      ],
      [
        "a refusing AWS_ENDPOINT_URL",
        env({ AWS_ENDPOINT_URL: "http://127.0.0.1:1" }),
        4,
        /http:\/\/127\.0\.0\.1:1 refused the connection/,
      ],
      [
        "a password in the URL",
        env({ AWS_ENDPOINT_URL: "http://someone:s3cretPW@127.0.0.1:1" }),
        4,
        /[^@]http:\/\/127\.0\.0\.1:1 refused the connection/,
      ],
      [
        "a password in what is no URL",
        env({ AWS_ENDPOINT_URL: "someone:s3cretPW@health.example" }),
        2,
        /Invalid endpoint for AWS Health: "health\.example"/,
      ],
      [
        "a password in an AWS_ENDPOINT_URL_HEALTH that is no URL",
        env({ AWS_ENDPOINT_URL_HEALTH: "someone:s3cretPW@health.example" }),
        2,
        /Invalid AWS_ENDPOINT_URL_HEALTH: "health\.example"/,
      ],
    ];
    for (const [name, e, code, message] of refusals) {
      const run = await runScript(OUT, { cwd: dirOf(), env: e });
      expect(run.code, `${name}: ${run.stderr}`).toBe(code);
      expect(lastLine(run), name).toMatch(message);
      expect(run.stderr + run.stdout, name).not.toMatch(/s3cretPW|someone/);
      expect(run.stderr, name).not.toMatch(/run the same command again/);
    }
  });
});
