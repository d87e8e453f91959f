// npm run bench:cache: what the Actions cache costs one action backfill. Runs dist/action and dist/post
// under Node 24 the way the runner does, against the fake cache service (driven by the real
// @actions/cache) and the simulator with the benchmark's latency and rate limit, for: no cache at all,
// `cache-save-interval: 30s` and `0s`, each BENCH_REPEAT times in turn. Prints per run the step's wall
// time, the uploads, the bytes sent against the gzip size of the output, and the entries left after
// completion without `actions: write`; then the medians, and a `0s` run with `actions: write`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { type Simulator, startSimulator } from "../src/simulator/server.ts";
import { type ActionsPermission, startFakeCacheService } from "../test/fakes/cache-service.ts";
import { FakeRunner } from "../test/support/runner.ts";
import { awsEnv } from "../test/support/script.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const DETAILS = process.env.BENCH_DETAILS ?? "description";

interface Scenario {
  readonly name: string;
  /** undefined: no cache service at all. */
  readonly interval?: string;
  readonly permission: ActionsPermission;
}

interface Result {
  readonly seconds: number;
  readonly uploads: number;
  readonly sent: number;
  readonly gzip: number;
  readonly entriesLeft: number;
  readonly bytesLeft: number;
}

async function backfill(sim: Simulator, s: Scenario): Promise<Result> {
  const cache = await startFakeCacheService();
  const root = mkdtempSync(join(tmpdir(), "bench-cache-"));
  try {
    const runner = new FakeRunner(
      root,
      {
        ...cache.env(),
        ...(s.interval === undefined ? { ACTIONS_RESULTS_URL: "" } : {}),
        ...awsEnv(sim.url),
        GITHUB_JOB: "backfill",
        GITHUB_RUN_ID: "1",
        GITHUB_RUN_ATTEMPT: "1",
      },
      resolve("dist"), // the committed bundles, as users run them
    );
    runner.fresh();
    const inputs = {
      details: DETAILS,
      "cache-save-interval": s.interval ?? "30s",
      "github-token": cache.grant(s.permission),
    };
    const started = performance.now();
    const main = await runner.step("dist/action/index.js", inputs).done;
    const seconds = (performance.now() - started) / 1000;
    const post = await runner.post(inputs).done;
    if (main.code !== 0 || post.code !== 0) throw new Error(`action failed:\n${main.stdout}\n${post.stdout}`);
    const left = cache.entries.filter((e) => e.finalized);
    return {
      seconds,
      uploads: cache.counts.finalize,
      sent: cache.counts.uploadedBytes,
      gzip: gzipSync(readFileSync(join(runner.workspace, "health-events.ndjson"))).length,
      entriesLeft: left.length,
      bytesLeft: left.reduce((sum, e) => sum + e.size, 0),
    };
  } finally {
    await cache.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const kB = (n: number) => `${(n / 1000).toFixed(0)} kB`;

function line(name: string, r: Result): string {
  return (
    `${name.padEnd(10)} ${r.seconds.toFixed(1).padStart(6)} s  ${String(r.uploads).padStart(4)} uploads  ` +
    `${kB(r.sent).padStart(8)} sent (${(r.sent / r.gzip).toFixed(2)}x the output's gzip, ${kB(r.gzip)})  ` +
    `${r.entriesLeft} entries left (${kB(r.bytesLeft)})`
  );
}

const sim = await startSimulator({ events: EVENTS, seed: 42, latencyMs: 20, rateLimit: 100 });
try {
  const scenarios: Scenario[] = [
    { name: "no cache", permission: "read" },
    { name: "0s", interval: "0s", permission: "read" },
    { name: "30s", interval: "30s", permission: "read" },
  ];
  console.log(`action, details ${DETAILS}, ${EVENTS} events, ${REPEAT} runs each, without actions: write:`);
  const results = new Map<string, Result[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 1; round <= REPEAT; round++) {
    for (const s of scenarios) {
      const r = await backfill(sim, s);
      results.get(s.name)?.push(r);
      console.log(`  run ${round}: ${line(s.name, r)}`);
    }
  }
  console.log("medians:");
  for (const [name, rs] of results) {
    const m = (f: (r: Result) => number) => median(rs.map(f));
    const r = {
      seconds: m((x) => x.seconds),
      uploads: m((x) => x.uploads),
      sent: m((x) => x.sent),
      gzip: m((x) => x.gzip),
      entriesLeft: m((x) => x.entriesLeft),
      bytesLeft: m((x) => x.bytesLeft),
    };
    console.log(`  ${line(name, r)}`);
  }
  const none = median((results.get("no cache") ?? []).map((r) => r.seconds));
  const every = median((results.get("0s") ?? []).map((r) => r.seconds));
  console.log(`0s against no cache: ${((every / none - 1) * 100).toFixed(1)}% (target: within 10%)`);
  console.log(
    `with actions: write: ${line("0s", await backfill(sim, { name: "0s", interval: "0s", permission: "write" }))}`,
  );
} finally {
  await sim.close();
}
