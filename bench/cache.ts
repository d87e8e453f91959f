// npm run bench:cache: what one action backfill leaves in the Actions cache. Runs dist/action and
// dist/post under Node 24 the way the runner does, against the fake cache service (driven by the real
// @actions/cache) and the simulator with the benchmark's latency and rate limit, then lists the entries.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../src/simulator/server.ts";
import { startFakeCacheService } from "../test/fakes/cache-service.ts";
import { FakeRunner } from "../test/support/runner.ts";
import { awsEnv } from "../test/support/script.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const INTERVAL = process.env.BENCH_CACHE_INTERVAL ?? "30s";
const sim = await startSimulator({ events: EVENTS, seed: 42, latencyMs: 20, rateLimit: 100 });
const cache = await startFakeCacheService();
try {
  const runner = new FakeRunner(mkdtempSync(join(tmpdir(), "bench-cache-")), {
    ...cache.env(),
    ...awsEnv(sim.url),
    GITHUB_JOB: "backfill",
    GITHUB_RUN_ID: "1",
    GITHUB_RUN_ATTEMPT: "1",
  });
  runner.fresh();
  const inputs = { details: "description", "cache-save-interval": INTERVAL };
  const started = performance.now();
  const main = await runner.step("dist/action/index.js", inputs).done;
  const post = await runner.post(inputs).done;
  if (main.code !== 0 || post.code !== 0) throw new Error(`action failed:\n${main.stdout}\n${post.stdout}`);
  const seconds = (performance.now() - started) / 1000;
  const stored = cache.entries.filter((e) => e.finalized);
  const bytes = stored.reduce((sum, e) => sum + e.size, 0);
  console.log(
    `action, details description, ${EVENTS} events, cache-save-interval ${INTERVAL}: ${seconds.toFixed(1)} s; ` +
      `${cache.counts.create} uploads (${cache.counts.uploadedBytes} bytes sent); ` +
      `${stored.length} cache entries left, ${bytes} bytes in all:`,
  );
  for (const e of stored) console.log(`  ${e.key}  ${e.size} bytes`);
  console.log(`outputs: ${JSON.stringify(main.outputs)}`);
} finally {
  await cache.close();
  await sim.close();
}
