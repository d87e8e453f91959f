import { describe, expect, it } from "vitest";
import { cacheKeys, earlierReleaseRun, isMatrixLeg, keyPart, legPart } from "../../src/action/cache/keys.ts";

const ctx = {
  job: "backfill",
  runId: "4242",
  attempt: 3,
  repository: "o/r",
  apiUrl: "x",
  runnerTemp: "/t",
  workflow: undefined,
  workspace: undefined,
};

describe("cache keys", () => {
  it("lay out prefix, job, leg, query, run, attempt and sequence", () => {
    const keys = cacheKeys("health-backfill", ctx, legPart("null"), "e492abea18b8e95e");
    expect(keys.run).toBe("health-backfill-backfill-null-e492abea18b8e95e-4242-");
    expect(keys.upload(7)).toBe("health-backfill-backfill-null-e492abea18b8e95e-4242-3-000007");
    expect(keys.post).toBe("health-backfill-backfill-null-e492abea18b8e95e-4242-3-post");
    expect(earlierReleaseRun("health-backfill", ctx, "e492abea18b8e95e")).toBe(
      "health-backfill-backfill-e492abea18b8e95e-4242-",
    );
  });

  it("of release 0.1.0 are spelled as 0.1.0 spelled them, also for a job id with dashes and a long prefix", () => {
    const prefix = `health-backfill-${"x".repeat(40)}`;
    expect(earlierReleaseRun(prefix, { ...ctx, job: "backfill-prod" }, "e492abea18b8e95e")).toBe(
      `${prefix}-backfill-prod-e492abea18b8e95e-4242-`,
    );
    expect(earlierReleaseRun("a b,c", { ...ctx, job: "job/1" }, "f")).toBe("a_b_c-job_1-f-4242-");
  });

  it("keep matrix legs apart, and find a leg again however the runner spaces its JSON", () => {
    const a = legPart('{\n  "account": "111122223333",\n  "region": "us-east-1"\n}');
    expect(legPart('{"region":"us-east-1","account":"111122223333"}')).toBe(a);
    expect(legPart('{"account":"444455556666","region":"us-east-1"}')).not.toBe(a);
    expect(a).toMatch(/^_account_111122223333_region_us_~[0-9a-f]{12}$/);
    expect(legPart("")).toBe("null");
    expect(["null", "", '{"os":"linux"}'].map((matrix) => isMatrixLeg(legPart(matrix)))).toEqual([
      false,
      false,
      true,
    ]);
    const [x, y] = ["A", "B"].map((account) =>
      cacheKeys("hb", ctx, legPart(`{"account":"${account}"}`), "f"),
    );
    expect(x?.run.startsWith(y?.run ?? "")).toBe(false);
  });

  it("never let one run's prefix cover another's entries, however prefix and job are split", () => {
    const runs = [
      cacheKeys("a-b", { ...ctx, job: "c" }, "null", "f").run,
      cacheKeys("a", { ...ctx, job: "b-c" }, "null", "f").run,
      cacheKeys("a", { ...ctx, job: "b" }, "c", "f").run,
      cacheKeys("a", ctx, "null", "f").run,
      cacheKeys("a", { ...ctx, runId: "42" }, "null", "f").run,
    ];
    for (const r of runs) for (const other of runs) if (r !== other) expect(other.startsWith(r)).toBe(false);
  });

  it("stay within 512 characters without commas for the longest inputs", () => {
    const leg = legPart(JSON.stringify({ many: "x,".repeat(500) }));
    const key = cacheKeys("p".repeat(200), { ...ctx, job: "j".repeat(100) }, leg, "f".repeat(16)).upload(
      999_999,
    );
    expect(key.length).toBeLessThanOrEqual(512);
    expect(key).not.toContain(",");
    expect(keyPart("plain-part")).toBe("plain-part");
  });
});
