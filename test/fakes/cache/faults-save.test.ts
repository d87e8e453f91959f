/**
 * What the real `@actions/cache` 6.3 `saveCache` does when the service fails. Retry sleeps of the
 * client are shortened where noted (shortenLongTimers) and the waits it asked for are asserted.
 */
import { join } from "node:path";
import { restoreCache, saveCache } from "@actions/cache";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { capture, linesOf, shortenLongTimers, withFakeCache, writeTree } from "./harness.ts";

const fake = withFakeCache();

let paths: string[];
let timers: ReturnType<typeof shortenLongTimers> | undefined;

beforeEach(async () => {
  paths = [join(fake.env.workspace, "state")];
  await writeTree(fake.env.workspace, { "state/checkpoint.json": '{"page":1}' });
});

afterEach(async () => {
  timers?.restore();
  timers = undefined;
});

const reserveFailed = (key: string) =>
  `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`;

/** The Twirp client's backoff: 3 s, then base * 1.5^n up to 1.5x that, five attempts in all. */
function expectTwirpBackoff(waits: number[]): void {
  expect(waits).toHaveLength(4);
  expect(waits[0]).toBe(3000);
  const total = waits.reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThanOrEqual(3000 + 4500 + 6750 + 10125);
  expect(total).toBeLessThan(3000 + 6750 + 10125 + 15188);
}

describe("CreateCacheEntry faults", () => {
  it("429 is not retried: -1 within a few seconds, logged as info, no entry", async () => {
    fake.service.fail("create", { status: 429, times: 1 });

    const saved = await capture(() => saveCache(paths, "rl-1"));

    expect(saved.value).toBe(-1);
    expect(saved.ms).toBeLessThan(5000); // real timers: no 30 s of retries
    expect(fake.service.counts).toMatchObject({ create: 1, upload: 0, finalize: 0, rejected: 1 });
    expect(fake.service.entries).toEqual([]);
    expect(linesOf(saved, "info")).toContain(reserveFailed("rl-1"));
    expect(linesOf(saved, "warning")).toEqual([]);
    expect(linesOf(saved, "error")).toEqual([]);
    expect(linesOf(saved, "debug").join("\n")).toContain(
      "Failed to CreateCacheEntry: Rate limited: Failed request: (429) Too Many Requests",
    );

    // The fault was for one call only: the next save goes through.
    expect((await capture(() => saveCache(paths, "rl-2"))).value).toBeGreaterThan(0);
  });

  it("429 with Retry-After adds a warning annotation", async () => {
    fake.service.fail("create", { status: 429, times: 1, headers: { "retry-after": "60" } });

    const saved = await capture(() => saveCache(paths, "rl-1"));

    expect(saved.value).toBe(-1);
    expect(linesOf(saved, "warning")).toEqual([
      "You've hit a rate limit, your rate limit will reset in 60 seconds",
    ]);
    expect(linesOf(saved, "info")).toContain(reserveFailed("rl-1"));
  });

  it("a persistent 500 is retried five times (about 25-35 s on a runner), then -1 with info lines only", async () => {
    fake.service.fail("create", { status: 500, times: Number.POSITIVE_INFINITY });
    timers = shortenLongTimers();

    const saved = await capture(() => saveCache(paths, "ise-1"));

    expect(saved.value).toBe(-1);
    expect(fake.service.counts.create).toBe(5);
    expectTwirpBackoff(timers.requested);
    expect(linesOf(saved, "info").filter((l) => l.startsWith("Attempt "))).toHaveLength(4);
    expect(linesOf(saved, "info")).toContain(reserveFailed("ise-1"));
    expect(linesOf(saved, "warning")).toEqual([]);
    expect(linesOf(saved, "error")).toEqual([]);
  });

  it("one 503 is retried after 3 s and the save succeeds", async () => {
    fake.service.fail("create", { status: 503, times: 1 });
    timers = shortenLongTimers();

    const saved = await capture(() => saveCache(paths, "u-1"));

    expect(saved.value).toBeGreaterThan(0);
    expect(timers.requested).toEqual([3000]);
    expect(fake.service.counts).toMatchObject({ create: 2, finalize: 1 });
    expect(linesOf(saved, "info")).toContain(
      "Attempt 1 of 5 failed with error: Failed request: (503) Service Unavailable: injected fault: HTTP 503. " +
        "Retrying request in 3000 ms...",
    );
  });

  it("an answer that is not JSON is retried like a 5xx, whatever its status (here a 404 HTML page)", async () => {
    fake.service.fail("create", {
      status: 404,
      times: Number.POSITIVE_INFINITY,
      body: "<html>Not found</html>",
    });
    timers = shortenLongTimers();

    const saved = await capture(() => saveCache(paths, "gw-1"));

    expect(saved.value).toBe(-1);
    expect(fake.service.counts.create).toBe(5);
    expectTwirpBackoff(timers.requested);
  });

  it("the service being unreachable (ECONNREFUSED) is not retried: -1 at once", async () => {
    await fake.service.close();

    const saved = await capture(() => saveCache(paths, "down-1"));

    expect(saved.value).toBe(-1);
    expect(saved.ms).toBeLessThan(5000);
    expect(linesOf(saved, "info")).toContain(reserveFailed("down-1"));
    expect(linesOf(saved, "debug").join("\n")).toContain("Unable to make request: ECONNREFUSED");
  });
});

describe("upload and finalize faults", () => {
  it("a refused upload (403) gives -1 with two warnings and leaves an unfinalized entry holding the key", async () => {
    fake.service.fail("upload", { status: 403, times: 1 });

    const saved = await capture(() => saveCache(paths, "up-1"));

    expect(saved.value).toBe(-1);
    expect(linesOf(saved, "warning")).toEqual([
      "uploadCacheArchiveSDK: internal error uploading cache archive: injected fault: HTTP 403",
      "Failed to save: injected fault: HTTP 403",
    ]);
    expect(fake.service.counts).toMatchObject({ create: 1, upload: 1, finalize: 0, uploadedBytes: 0 });
    expect(fake.service.entries).toMatchObject([{ key: "up-1", finalized: false }]);
    // Not visible to restores, and the key cannot be saved again: use a new key per attempt.
    const restored = await capture(() => restoreCache(paths, "up-1"));
    expect(restored.value).toBeUndefined();
    expect(linesOf(restored, "warning")).toEqual([]); // a plain miss: the lookup does not offer it
    expect(fake.service.counts.download).toBe(0);
    expect((await capture(() => saveCache(paths, "up-1"))).value).toBe(-1);
    expect((await capture(() => saveCache(paths, "up-2"))).value).toBeGreaterThan(0);
  });

  it("a 500 on upload is retried by the Azure SDK (at once, then after 4 s and 12 s)", async () => {
    fake.service.fail("upload", { status: 500, times: 1 });
    const once = await capture(() => saveCache(paths, "up-1"));
    expect(once.value).toBeGreaterThan(0);
    expect(fake.service.counts.upload).toBe(2);

    fake.service.fail("upload", { status: 500, times: Number.POSITIVE_INFINITY });
    timers = shortenLongTimers();
    const always = await capture(() => saveCache(paths, "up-2"));
    expect(always.value).toBe(-1);
    expect(fake.service.counts.upload).toBe(2 + 4);
    expect(timers.requested).toEqual([4000, 12000]);
    expect(linesOf(always, "warning")).toContain("Failed to save: injected fault: HTTP 500");
  });

  it("a persistent 500 on finalize: five attempts, then -1 with a warning; the uploaded entry stays unfinalized", async () => {
    fake.service.fail("finalize", { status: 500, times: Number.POSITIVE_INFINITY });
    timers = shortenLongTimers();

    const saved = await capture(() => saveCache(paths, "fin-1"));

    expect(saved.value).toBe(-1);
    expectTwirpBackoff(timers.requested);
    expect(linesOf(saved, "warning")).toEqual([
      "Failed to save: Failed to FinalizeCacheEntryUpload: Failed to make request after 5 attempts: " +
        "Failed request: (500) Internal Server Error: injected fault: HTTP 500",
    ]);
    expect(fake.service.counts).toMatchObject({ create: 1, upload: 1, finalize: 5 });
    expect(fake.service.counts.uploadedBytes).toBeGreaterThan(0);
    expect(fake.service.entries).toMatchObject([{ key: "fin-1", finalized: false }]);
  });
});
