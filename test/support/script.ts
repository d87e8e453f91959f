import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { expect } from "vitest";
import { NODE24, ROOT, TEST_BUNDLE } from "./runner.ts";

/** The three ways users run the script, from a checkout at `root` (this one by default). */
export function runtimes(root = ROOT) {
  return {
    node: [NODE24, root === ROOT ? resolve(TEST_BUNDLE, "index.js") : resolve(root, "dist/index.js")],
    bun: [resolve(ROOT, "node_modules/.bin/bun"), resolve(root, "src/main.ts")],
    deno: [resolve(ROOT, "node_modules/.bin/deno"), "run", "-A", resolve(root, "src/main.ts")],
  } as const;
}

export type Runtime = keyof ReturnType<typeof runtimes>;

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOptions {
  cwd: string;
  env?: Record<string, string>;
  runtime?: Runtime;
  /** The checkout whose program runs (a clean copy, say); default this one. */
  root?: string;
  /** SIGKILL after this many ms. */
  killAfterMs?: number;
  /** Send this signal once stderr matches `when`. */
  signalWhen?: { pattern: RegExp; signal: NodeJS.Signals };
  /** Called once the process started: a test may signal it at a moment of its choosing. */
  onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void;
  /** Called with everything written to stderr so far, after each chunk. */
  onStderr?: (stderr: string) => void;
}

/** AWS settings for a script that talks to a simulator at `url`. */
export function awsEnv(url: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_HEALTH: url,
    // The simulator answers STS GetCallerIdentity too: since: last-run asks whose credentials these are.
    AWS_ENDPOINT_URL_STS: url,
    AWS_ACCESS_KEY_ID: "AKIDBACKFILLTEST",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMIbackfillTESTKEY",
    AWS_REGION: "us-east-1",
  };
}

/** Runs the real script as a child process. */
export function runScript(args: string[], o: ScriptOptions): Promise<ScriptResult> {
  const [command, ...prefix] = runtimes(o.root)[o.runtime ?? "node"];
  const child = spawn(command, [...prefix, ...args], {
    cwd: o.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      DENO_NO_UPDATE_CHECK: "1",
      // Deno fetches the npm packages itself on a cold cache; behind a TLS-inspecting proxy it trusts
      // the proxy's CA only through the system store (Node reads NODE_EXTRA_CA_CERTS instead).
      DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? "mozilla,system",
      NO_COLOR: "1",
      ...o.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  o.onSpawn?.((signal) => child.kill(signal));
  let stdout = "";
  let stderr = "";
  let signalled = false;
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    o.onStderr?.(stderr);
    if (o.signalWhen && !signalled && o.signalWhen.pattern.test(stderr)) {
      signalled = true;
      child.kill(o.signalWhen.signal);
    }
  });
  const timer =
    o.killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), o.killAfterMs);
  return new Promise((resolveRun) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    }),
  );
}

/** One line on stderr that is the refusal, ending with one full stop. */
export function lastLine(run: ScriptResult): string {
  const line = run.stderr.trim().split("\n").at(-1) ?? "";
  expect(line).toMatch(/^health-backfill: /);
  expect(line).toMatch(/[^.]\.$/);
  expect(line).not.toMatch(/\.\.(\s|$)/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return line;
}
