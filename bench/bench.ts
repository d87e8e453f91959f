// npm run bench: the backfill against the simulator with a fixed latency and per-family rate limit.
// Prints, per scenario: wall time, the lower bound the latency and rate limit allow, their ratio, the
// share of throttled requests; then peak memory (RSS high-water mark) at 10,000 and 100,000 events, and
// for a narrow and a wide organization (events that reach up to all of 1,500 accounts); last, the S3
// archive's merge and upload of 100,000 events against merge-into plus a plain upload (bench/s3.ts).
// The simulator runs in this process; the backfill is the bundled script in a child process, as users run it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/simulator/server.ts";
import { checkOutput, type OutputCheck } from "../test/support/expected.ts";
import { s3Bench } from "./s3.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const RATE = Number(process.env.BENCH_RATE_LIMIT ?? 100);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
/** Flags for the script's Node, e.g. BENCH_NODE_FLAGS=--max-semi-space-size=8 to cap V8's young generation. */
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];

interface Run {
  wallMs: number;
  peakRssMb: number;
  /** The largest live heap V8 reported after a full (mark-compact) collection, from --trace-gc. */
  liveHeapMb: number;
  code: number | null;
  stderr: string;
  /** Present when the run was asked to check its output against the simulator's dataset. */
  check?: OutputCheck;
}

/**
 * The three ways users run the script: the bundle under Node, the source under Bun and Deno (README).
 * Only Node's V8 traces its collections (--trace-gc) here, so the live heap is Node's alone.
 * BENCH_DIST measures another bundle of the source than dist/ (node scripts/build.mjs <folder>).
 */
const RUNTIMES = {
  node: [process.execPath, ...NODE_FLAGS, "--trace-gc", join(process.env.BENCH_DIST ?? "dist", "index.js")],
  bun: ["node_modules/.bin/bun", "src/main.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "src/main.ts"],
} as const;
type Runtime = keyof typeof RUNTIMES;

function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs the bundled script against `sim`, sampling its peak RSS until it exits; V8 traces its
 * collections. With `check`, the output is compared with the dataset before it is deleted.
 */
function backfill(sim: Simulator, details: string, check = false, runtime: Runtime = "node"): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  const started = performance.now();
  const [command, ...prefix] = RUNTIMES[runtime];
  const child = spawn(command, [...prefix, "--details", details, "--output", join(dir, "out.ndjson")], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DENO_NO_UPDATE_CHECK: "1",
      AWS_ENDPOINT_URL_HEALTH: sim.url,
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let peak = 0;
  let live = 0;
  child.stdout.on("data", (c: Buffer) => {
    for (const m of c.toString().matchAll(/Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)) {
      live = Math.max(live, Number(m[1]));
    }
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakRss(child.pid ?? 0));
  }, 20);
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => {
      clearInterval(sampler);
      const run = { wallMs: performance.now() - started, peakRssMb: peak, liveHeapMb: live, code, stderr };
      const checked = check && code === 0 ? checkOutput(join(dir, "out.ndjson"), sim.dataset) : undefined;
      Promise.resolve(checked)
        .then((result) => resolve(result ? { ...run, check: result } : run), reject)
        .finally(() => rmSync(dir, { recursive: true, force: true }));
    }),
  );
}

/** The fewest calls per family the data needs: one affected-accounts page per 100 accounts of each
 * ACCOUNT_SPECIFIC event, one details call per 10 (event, account) targets, one list call per 100 events. */
function fewestCalls(sim: Simulator): { events: number; accounts: number; details: number } {
  let accounts = 0;
  let targets = 0;
  for (const e of sim.dataset) {
    if (e.eventScopeCode === "ACCOUNT_SPECIFIC") {
      accounts += Math.max(1, Math.ceil(e.accounts.length / 100));
      targets += e.accounts.length;
    } else {
      targets += 1;
    }
  }
  return { events: Math.ceil(sim.dataset.length / 100), accounts, details: Math.ceil(targets / 10) };
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

async function scenario(details: "none" | "description"): Promise<void> {
  const sim = await startSimulator({ events: EVENTS, seed: 42, latencyMs: LATENCY_MS, rateLimit: RATE });
  try {
    const run = await backfill(sim, details);
    if (run.code !== 0) throw new Error(`backfill failed (${run.code}):\n${run.stderr}`);
    const s = sim.stats;
    const window = s.windowByFamily;
    const first = Math.min(...Object.values(window).map((w) => w.first));
    const last = Math.max(...Object.values(window).map((w) => w.last));
    const throttled = s.throttled / Math.max(1, s.requests);
    if (details === "none") {
      const list = window.events ?? { first: 0, last: 0 };
      const measured = list.last - list.first;
      const own = s.serverTimeMsByOperation.DescribeEventsForOrganization ?? 0;
      console.log(
        `details none, ${EVENTS} events: list calls span ${(measured / 1000).toFixed(2)} s; the server's own time for ` +
          `those ${s.byOperation.DescribeEventsForOrganization} calls back to back ${(own / 1000).toFixed(2)} s; ratio ` +
          `${(measured / own).toFixed(3)} (target <= 1.15); whole run ${(run.wallMs / 1000).toFixed(2)} s incl. process start; ` +
          `throttled ${pct(throttled)}`,
      );
    } else {
      const fewest = fewestCalls(sim);
      const floorMs = Math.max(
        ...Object.values(fewest).map((calls) => (calls / RATE) * 1000),
        fewest.events * LATENCY_MS,
      );
      const span = last - first;
      console.log(
        `details description, ${EVENTS} events: API time ${(span / 1000).toFixed(2)} s (first request to last answer); ` +
          `rate floor ${(floorMs / 1000).toFixed(2)} s (fewest calls ${JSON.stringify(fewest)} at ${RATE}/s per family); ` +
          `ratio ${(span / floorMs).toFixed(3)} (target <= 1.25); successful calls ${JSON.stringify(s.succeededByFamily)}; ` +
          `throttled ${s.throttled} of ${s.requests} requests = ${pct(throttled)} (target <= 10%); ` +
          `whole run ${(run.wallMs / 1000).toFixed(2)} s incl. process start`,
      );
    }
  } finally {
    await sim.close();
  }
}

/** Peak RSS of a whole run, with the benchmark's latency but no rate limit, so 100,000 events finish in
 * well under a minute. */
async function memory(events: number, details: "none" | "description", runtime: Runtime): Promise<Run> {
  const sim = await startSimulator({ events, seed: 42, latencyMs: LATENCY_MS });
  try {
    const run = await backfill(sim, details, false, runtime);
    if (run.code !== 0) throw new Error(`backfill failed (${run.code}):\n${run.stderr}`);
    const live =
      runtime === "node" ? `live heap after full GCs at most ${run.liveHeapMb.toFixed(1)} MB, ` : "";
    console.log(
      `memory, ${runtime}, details ${details}, ${events} events, ${LATENCY_MS} ms latency, no rate limit: ` +
        `peak RSS ${run.peakRssMb.toFixed(1)} MiB, ${live}${(run.wallMs / 1000).toFixed(1)} s`,
    );
    return run;
  } finally {
    await sim.close();
  }
}

const WIDE_EVENTS = Number(process.env.BENCH_WIDE_EVENTS ?? 300);

/**
 * An organization of 1,500 accounts whose account-specific events reach from one to all of them, with
 * up to 5 entities per account, against a narrow organization with as many events: `details: entities`,
 * the benchmark's latency, no rate limit. The output is checked against the dataset.
 */
async function wide(shape: "narrow" | "wide"): Promise<Run> {
  const options: SimulatorOptions =
    shape === "wide" ? { accounts: 1500, accountsPerEvent: 1500, entitiesPerAccount: 5 } : {};
  const sim = await startSimulator({ events: WIDE_EVENTS, seed: 42, latencyMs: LATENCY_MS, ...options });
  try {
    const run = await backfill(sim, "entities", true);
    if (run.code !== 0) throw new Error(`backfill failed (${run.code}):\n${run.stderr}`);
    const check = run.check as OutputCheck;
    console.log(
      `memory, ${shape} organization, details entities, ${WIDE_EVENTS} events, ${LATENCY_MS} ms latency, no rate limit: ` +
        `peak RSS ${run.peakRssMb.toFixed(1)} MiB, live heap after full GCs at most ${run.liveHeapMb.toFixed(1)} MB, ` +
        `${(run.wallMs / 1000).toFixed(1)} s; output ${(check.bytes / 1e6).toFixed(1)} MB, ` +
        `${check.mismatch ?? "exact"}, sha256 ${check.sha256.slice(0, 16)}`,
    );
    if (check.mismatch !== undefined) throw new Error(`output of the ${shape} backfill: ${check.mismatch}`);
    return run;
  } finally {
    await sim.close();
  }
}

console.log(
  `simulator latency ${LATENCY_MS} ms per call, rate limit ${RATE}/s per API family; script: node ${[...NODE_FLAGS, ""].join(" ")}${RUNTIMES.node.at(-1)} (${process.version})`,
);
// BENCH_ONLY=none|description|memory|wide|s3 runs one part.
const only = process.env.BENCH_ONLY;
if (!only || only === "none") await scenario("none");
if (!only || only === "description") await scenario("description");
if (!only || only === "memory") {
  const levels = (process.env.BENCH_DETAILS?.split(",") ?? ["none", "description"]) as (
    | "none"
    | "description"
  )[];
  // BENCH_RUNTIMES=node,bun,deno (the default) picks the runtimes.
  const runtimes = (process.env.BENCH_RUNTIMES?.split(",") ?? Object.keys(RUNTIMES)) as Runtime[];
  for (const runtime of runtimes) {
    for (const details of levels) {
      const small = await memory(10_000, details, runtime);
      const large = await memory(100_000, details, runtime);
      const live =
        runtime === "node" ? `, live heap ${(large.liveHeapMb / small.liveHeapMb).toFixed(2)}` : "";
      console.log(
        `memory ratio 100,000 / 10,000 events, ${runtime}, details ${details}: peak RSS ` +
          `${(large.peakRssMb / small.peakRssMb).toFixed(2)} (target <= 1.3)${live}`,
      );
    }
  }
}
if (!only || only === "wide") {
  const narrow = await wide("narrow");
  const broad = await wide("wide");
  console.log(
    `memory ratio wide / narrow organization, ${WIDE_EVENTS} events: peak RSS ${(broad.peakRssMb / narrow.peakRssMb).toFixed(2)} (target <= 2)`,
  );
}
// The S3 archive's merge and upload against merge-into plus a plain upload (bench/s3.ts).
if (!only || only === "s3") await s3Bench();
