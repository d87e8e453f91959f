import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NODE24, ROOT } from "../support/runner.ts";

/**
 * A workload that keeps much of what it allocates alive for a while, as a wide backfill does, in Node 24
 * (the action's runtime): the largest young generation V8 used, with and without
 * keepHeapSmall(). If a Node release stops reading these flags at runtime, this fails.
 */
const WORKLOAD = `
import { getHeapSpaceStatistics } from "node:v8";
if (process.argv.includes("--tuned")) (await import(${JSON.stringify(join(ROOT, "src/util/heap.ts"))})).keepHeapSmall();
const held = [];
let young = 0;
for (let i = 0; i < 3e6; i++) {
  held.push({ i, text: "x" + i, pair: [i, i] });
  if (held.length > 200000) held.splice(0, 100000);
  if (i % 50000 === 0) {
    const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    young = Math.max(young, space.space_size);
  }
}
console.log(JSON.stringify({ youngMiB: young / 2 ** 20 }));
`;

function youngMiB(tuned: boolean): number {
  const run = spawnSync(
    NODE24,
    ["--input-type=module", "-e", WORKLOAD, ...(tuned ? ["--", "--tuned"] : [])],
    {
      encoding: "utf8",
    },
  );
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { youngMiB: number }).youngMiB;
}

describe("keepHeapSmall", () => {
  it("stops V8's young generation from growing under a load that keeps objects alive", () => {
    const untuned = youngMiB(false);
    const tuned = youngMiB(true);
    // Untuned it reaches its cap, which V8 derives from the machine's memory (128 MiB with 24 GiB);
    // tuned it stays a fraction of that (7-20 MiB measured here, depending on when it is sampled).
    expect(untuned).toBeGreaterThan(tuned);
    expect(untuned).toBeGreaterThanOrEqual(48);
    expect(tuned).toBeLessThanOrEqual(32);
  }, 60_000);
});

/** Garbage made and dropped, then one fullCollection(): the heap used before and after it. */
const COLLECT = `
import { fullCollection } from ${JSON.stringify(join(ROOT, "src/util/heap.ts"))};
const collect = fullCollection();
let junk = [];
for (let i = 0; i < 400000; i++) junk.push({ i, text: "x" + i, pair: [i, i] });
junk = [];
const before = process.memoryUsage().heapUsed;
collect?.();
const after = process.memoryUsage().heapUsed;
console.log(JSON.stringify({ found: typeof collect, beforeMiB: before / 2 ** 20, afterMiB: after / 2 ** 20 }));
`;

describe("fullCollection", () => {
  // The heap flags do nothing under Bun's engine and too little under Deno's V8: keepHeapSmall()
  // runs these collections every few seconds instead (bench: peak RSS ratios under 1.3x).
  const script = join(mkdtempSync(join(tmpdir(), "heap-")), "collect.ts");
  writeFileSync(script, COLLECT);
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  it.each([
    ["node", [NODE24, script]],
    ["bun", [bin("bun"), script]],
    ["deno", [bin("deno"), "run", "-A", script]],
  ])(
    "finds a full collection under %s, and it frees the garbage at once",
    (_name, [command, ...args]) => {
      const run = spawnSync(command as string, args, {
        encoding: "utf8",
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
      });
      expect(run.status, run.stderr).toBe(0);
      const { found, beforeMiB, afterMiB } = JSON.parse(run.stdout) as Record<string, number | string>;
      expect(found).toBe("function");
      expect(afterMiB).toBeLessThan((beforeMiB as number) / 2);
    },
    60_000,
  );
});
