/**
 * What the real `@actions/cache` 6.3 `restoreCache` does when the service fails: it never throws for
 * a service fault (only for invalid keys); a fault looks like a miss plus a warning.
 */
import { join } from "node:path";
import { restoreCache, saveCache } from "@actions/cache";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  capture,
  linesOf,
  readTree,
  shortenLongTimers,
  wipeContents,
  withFakeCache,
  writeTree,
} from "./harness.ts";

const fake = withFakeCache();

let paths: string[];
let timers: ReturnType<typeof shortenLongTimers> | undefined;

beforeEach(async () => {
  paths = [join(fake.env.workspace, "state")];
  await writeTree(fake.env.workspace, { "state/checkpoint.json": '{"page":7}' });
  expect((await capture(() => saveCache(paths, "ck-1"))).value).toBeGreaterThan(0);
  await wipeContents(fake.env.workspace);
});

afterEach(async () => {
  timers?.restore();
  timers = undefined;
});

describe("GetCacheEntryDownloadURL faults", () => {
  it("one 500 is retried after 3 s (real time) and the restore succeeds", async () => {
    fake.service.fail("lookup", { status: 500, times: 1 });

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBe("ck-1");
    expect(restored.ms).toBeGreaterThanOrEqual(2900);
    expect(fake.service.counts.lookup).toBe(2);
    expect(linesOf(restored, "info")).toContain(
      "Attempt 1 of 5 failed with error: Failed request: (500) Internal Server Error: injected fault: HTTP 500. " +
        "Retrying request in 3000 ms...",
    );
    expect((await readTree(fake.env.workspace)).get(join("state", "checkpoint.json"))?.toString()).toBe(
      '{"page":7}',
    );
  });

  it("a persistent 500 gives undefined (no throw) after five attempts, logged as a warning", async () => {
    fake.service.fail("lookup", { status: 500, times: Number.POSITIVE_INFINITY });
    timers = shortenLongTimers();

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBeUndefined();
    expect(fake.service.counts).toMatchObject({ lookup: 5, download: 0 });
    expect(timers.requested).toHaveLength(4);
    expect(timers.requested[0]).toBe(3000);
    expect(linesOf(restored, "warning")).toEqual([
      "Failed to restore: Failed to GetCacheEntryDownloadURL: Failed to make request after 5 attempts: " +
        "Failed request: (500) Internal Server Error: injected fault: HTTP 500",
    ]);
    // Not an ::error:: annotation: the wrapped error is no longer an HttpClientError.
    expect(linesOf(restored, "error")).toEqual([]);
    expect(await readTree(fake.env.workspace)).toEqual(new Map());
  });

  it("429 is not retried: undefined at once, with a warning", async () => {
    fake.service.fail("lookup", { status: 429, times: 1 });

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBeUndefined();
    expect(restored.ms).toBeLessThan(5000);
    expect(fake.service.counts.lookup).toBe(1);
    expect(linesOf(restored, "warning")).toEqual([
      "Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited: Failed request: (429) Too Many Requests: " +
        "injected fault: HTTP 429",
    ]);
  });

  it("the service being unreachable gives undefined at once, with a warning", async () => {
    await fake.service.close();

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBeUndefined();
    expect(restored.ms).toBeLessThan(5000);
    expect(linesOf(restored, "warning")[0]).toMatch(
      /^Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED/,
    );
  });
});

describe("download faults", () => {
  it("500 is not retried: undefined with a warning, workspace untouched", async () => {
    fake.service.fail("download", { status: 500, times: 1 });

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBeUndefined();
    expect(fake.service.counts).toMatchObject({ lookup: 1, download: 1, downloadedBytes: 0 });
    expect(linesOf(restored, "info")).toContain("Cache hit for restore-key: ck-1");
    expect(linesOf(restored, "warning")).toEqual([
      "Failed to restore: downloadCache failed: Cache service responded with 500",
    ]);
    expect(await readTree(fake.env.workspace)).toEqual(new Map());
  });

  it("one 503 is retried after 5 s and the restore succeeds", async () => {
    fake.service.fail("download", { status: 503, times: 1 });
    timers = shortenLongTimers();

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBe("ck-1");
    expect(timers.requested).toEqual([5000]);
    expect(fake.service.counts.download).toBe(2);
  });

  it("a 4xx body is taken for the archive: tar fails, undefined with a warning", async () => {
    fake.service.fail("download", { status: 403, times: 1 });

    const restored = await capture(() => restoreCache(paths, "ck-"));

    expect(restored.value).toBeUndefined();
    expect(linesOf(restored, "warning")).toHaveLength(1);
    expect(linesOf(restored, "warning")[0]).toMatch(
      /^Failed to restore: "[^"]*tar" failed with error: The process '[^']*tar' failed with exit code \d+$/,
    );
    expect(await readTree(fake.env.workspace)).toEqual(new Map());
  });
});
