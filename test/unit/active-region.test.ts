import { describe, expect, it } from "vitest";
import { activeRegion, RECHECK_MS, RegionWatch, regionOfCname } from "../../src/health/active-region.ts";

describe("the active AWS Health region", () => {
  it("is the region the global endpoint's CNAME names", async () => {
    expect(regionOfCname("health.us-east-2.amazonaws.com")).toBe("us-east-2");
    expect(regionOfCname("health.us-east-1.amazonaws.com.")).toBe("us-east-1");
    expect(regionOfCname("example.com")).toBeUndefined();
    const asked: string[] = [];
    const answer = await activeRegion(async (host) => {
      asked.push(host);
      return ["health.us-east-2.amazonaws.com"];
    });
    expect(answer).toEqual({ region: "us-east-2" });
    expect(asked).toEqual(["global.health.amazonaws.com"]);
  });

  it("falls back to us-east-1, saying why, when the name cannot be resolved or names no region", async () => {
    const failed = await activeRegion(async () =>
      Promise.reject(Object.assign(new Error("x"), { code: "ENOTFOUND" })),
    );
    expect(failed).toEqual({
      region: "us-east-1",
      fallback: "global.health.amazonaws.com could not be resolved (ENOTFOUND)",
    });
    const odd = await activeRegion(async () => ["elsewhere.example.com"]);
    expect(odd.region).toBe("us-east-1");
    expect(odd.fallback).toMatch(/names no Health region \(elsewhere\.example\.com\)/);
  });

  it("is looked up again at most every 10 seconds", async () => {
    let now = 0;
    let lookups = 0;
    let target = "health.us-east-1.amazonaws.com";
    const watch = new RegionWatch(
      async () => {
        lookups += 1;
        return [target];
      },
      () => now,
    );
    expect((await watch.current()).region).toBe("us-east-1");
    target = "health.us-east-2.amazonaws.com";
    now += RECHECK_MS - 1;
    expect((await watch.current()).region).toBe("us-east-1");
    now += 1;
    expect((await watch.current()).region).toBe("us-east-2");
    expect(lookups).toBe(2);
  });
});
